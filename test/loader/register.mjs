// `node --import ./test/loader/register.mjs` runs the TypeScript sources as they are, for what the
// tests start outside vitest: the CLI and the inference child processes. Tests only; the package
// runs from dist/.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
