/** The action's entry point: the bundler turns this into dist/index.js. */
import { run } from './main.js';

await run();
