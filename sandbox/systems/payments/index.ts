import type { SystemDefinition } from '../../core/system';

// Placeholder: the payments system is being built; it serves only the admin surface for now.
export const payments: SystemDefinition<Record<string, never>> = {
  name: 'payments',
  defaultPort: 4040,
  seed: () => ({}),
  sendError: (reply, status, code, message) => reply.code(status).send({ error: { code, message } }),
  routes: () => undefined,
};
