/**
 * Per-trajectory outcome (Diffrax's RESULTS): one bad (subject, sample) row never fails the batch; the host maps
 * each code to a message.
 */
export enum TrajectoryStatus {
  Ok = 0,
  MaxSteps = 1,
  StepTooSmall = 2,
  NonFinite = 3,
  /** More zero-order inputs running at once than the GPU kernel holds per row (8). */
  Unsupported = 4,
}

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
