/**
 * Per-trajectory outcome (Diffrax's RESULTS): one bad (subject, sample) row never fails the batch; the host maps
 * each code to a message (runtime/engine/trajectory-status.ts). Shared by the kernel, which writes the codes
 * (compiler/emit-wgsl/kernel.ts prints them from `statusConstants`), and both engines.
 */
export enum TrajectoryStatus {
  Ok = 0,
  MaxSteps = 1,
  StepTooSmall = 2,
  NonFinite = 3,
  /** More zero-order inputs running at once than the GPU kernel holds per row (8), or an SS dose it cannot take. */
  Unsupported = 4,
}

/** The WGSL constant of each status, by the name the kernel text uses. */
export const statusConstants: Readonly<Record<string, TrajectoryStatus>> = {
  ST_OK: TrajectoryStatus.Ok,
  ST_MAX_STEPS: TrajectoryStatus.MaxSteps,
  ST_STEP_TOO_SMALL: TrajectoryStatus.StepTooSmall,
  ST_NON_FINITE: TrajectoryStatus.NonFinite,
  ST_UNSUPPORTED: TrajectoryStatus.Unsupported,
};
