// Every workflow the orchestration worker runs; the bundle is built from this file.
export { systemCheck } from './system-check';
