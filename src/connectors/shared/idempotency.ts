// The key derivation lives in the domain so workflow code can use it without Node built-ins.
export { idempotencyKey } from '../../domain/idempotency';
