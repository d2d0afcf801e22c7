import type { SystemDefinition } from '../../core/system';

// Placeholder: the warehouse system is being built; it serves only the admin surface for now.
export const warehouse: SystemDefinition<Record<string, never>> = {
  name: 'warehouse',
  defaultPort: 4030,
  seed: () => ({}),
  sendError: (reply, status, code, message) => reply.code(status).send({ error: { code, message } }),
  routes: () => undefined,
};
