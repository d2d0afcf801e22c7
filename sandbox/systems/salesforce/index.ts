import type { SystemDefinition } from '../../core/system';

// Placeholder: the salesforce system is being built; it serves only the admin surface for now.
export const salesforce: SystemDefinition<Record<string, never>> = {
  name: 'salesforce',
  defaultPort: 4010,
  seed: () => ({}),
  sendError: (reply, status, code, message) => reply.code(status).send({ error: { code, message } }),
  routes: () => undefined,
};
