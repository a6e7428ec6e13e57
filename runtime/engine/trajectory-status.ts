/** The codes are stdlib/trajectory-status.ts's (the kernel writes them too); here, what each means to a user. */
import { TrajectoryStatus } from '../../stdlib/trajectory-status.js';

export { TrajectoryStatus };

export function statusMessage(status: TrajectoryStatus, maxSteps: number): string {
  switch (status) {
    case TrajectoryStatus.Ok:
      return 'ok';
    case TrajectoryStatus.MaxSteps:
      return `the solver needed more than ${maxSteps} steps: the model may be stiff (nlmc fit --method rosenbrock) or the tolerances too tight`;
    case TrajectoryStatus.StepTooSmall:
      return 'the step size fell below its minimum: the solution changes too fast here (stiffness or a singularity); try nlmc fit --method rosenbrock or check the parameters';
    case TrajectoryStatus.Unsupported:
      return 'more than 8 infusions run at the same time for this subject, which the GPU kernel cannot hold; use --backend cpu';
    case TrajectoryStatus.NonFinite:
      return 'the state became NaN or infinite: check the parameters (division by zero, log of a negative number, overflow)';
  }
}
