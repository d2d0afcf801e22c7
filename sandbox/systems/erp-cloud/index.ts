import type { SystemDefinition } from '../../core/system';

// Placeholder: the erp-cloud system is being built; it serves only the admin surface for now.
export const erpCloud: SystemDefinition<Record<string, never>> = {
  name: 'erp-cloud',
  defaultPort: 4020,
  seed: () => ({}),
  sendError: (reply, status, code, message) => reply.code(status).send({ error: { code, message } }),
  routes: () => undefined,
};
