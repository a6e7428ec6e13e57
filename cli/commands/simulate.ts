/** `nlmc simulate`: run by runtime/simulate/simulate-run.ts (the CLI only parses the flags). */
export { runSimulate, type SimulateArgs } from '../../runtime/simulate/simulate-run.js';
