import type { SystemDefinition } from '../../core/system';

// Placeholder: the carrier system is being built; it serves only the admin surface for now.
export const carrier: SystemDefinition<Record<string, never>> = {
  name: 'carrier',
  defaultPort: 4050,
  seed: () => ({}),
  sendError: (reply, status, code, message) => reply.code(status).send({ error: { code, message } }),
  routes: () => undefined,
};
