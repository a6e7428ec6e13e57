/** `nlmc predict`: run by runtime/fit/predict-run.ts (the CLI only parses the flags). */
export { runPredict, type PredictArgs } from '../../runtime/fit/predict-run.js';
