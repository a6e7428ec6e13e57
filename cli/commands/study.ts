/** `nlmc study`: the simulation study, run by runtime/uq/study-run.ts (the CLI only parses the flags). */
export { runStudy, type StudyArgs } from '../../runtime/uq/study-run.js';
