import type { Client } from '@temporalio/client';
import type { Sandbox } from '../../sandbox';
import type { Config } from '../../src/config';

/** How to produce one real run of a workflow type for the replay test. */
export interface Recording {
  workflowId: string;
  /**
   * Starts the workflow, drives it (signals, updates, cancels, sandbox faults and events) and waits
   * for it to close; may answer the run id to record (with `firstRun`).
   */
  run: (client: Client, config: Config, sandbox: Sandbox) => Promise<string | void>;
  /** Record the run whose id `run` answered (the first of a chain that continued as new) instead of the latest. */
  firstRun?: boolean;
}
