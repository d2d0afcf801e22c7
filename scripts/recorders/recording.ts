import type { Client } from '@temporalio/client';
import type { Sandbox } from '../../sandbox';
import type { Config } from '../../src/config';

/** How to produce one real, closed run of a workflow type for the replay test. */
export interface Recording {
  workflowId: string;
  /** Starts the workflow, drives it (signals, updates, sandbox events) and waits for it to close. */
  run: (client: Client, config: Config, sandbox: Sandbox) => Promise<void>;
}
