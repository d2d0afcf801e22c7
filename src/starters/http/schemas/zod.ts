import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds .openapi() to zod once, before any API schema is declared, so the spec comes from these schemas.
extendZodWithOpenApi(z);

export { z };
