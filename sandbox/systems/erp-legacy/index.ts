import type { SystemDefinition } from '../../core/system';

// Placeholder: the erp-legacy system is being built; it serves only the admin surface for now.
export const erpLegacy: SystemDefinition<Record<string, never>> = {
  name: 'erp-legacy',
  defaultPort: 4021,
  seed: () => ({}),
  sendError: (reply, status, code, message) => reply.code(status).send({ error: { code, message } }),
  routes: () => undefined,
};
