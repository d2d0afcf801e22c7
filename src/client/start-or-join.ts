import { status as grpcStatus } from '@grpc/grpc-js';
import { WorkflowClient, WorkflowExecutionAlreadyStartedError, type Client, type WorkflowStartInput, type WorkflowStartOptions, type WorkflowStartOutput } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

type StartOrJoinOutput = WorkflowStartOutput & { started?: boolean };

/**
 * The SDK's start answers the run id only; the server's StartWorkflowExecutionResponse also says whether
 * this call started the run or joined a running one (WorkflowIdConflictPolicy USE_EXISTING). This client
 * keeps the SDK's request building (data converter and codec, memo, search attributes, user metadata)
 * and the client interceptors, and carries `started` back through them.
 */
class StartOrJoinWorkflowClient extends WorkflowClient {
  protected override async _startWorkflowHandler(input: WorkflowStartInput): Promise<StartOrJoinOutput> {
    const request = await this.createStartWorkflowRequest(input);
    try {
      const response = await this.workflowService.startWorkflowExecution(request);
      return { runId: response.runId, eagerlyStarted: false, started: response.started ?? true };
    } catch (err) {
      if ((err as { code?: number }).code === grpcStatus.ALREADY_EXISTS) {
        throw new WorkflowExecutionAlreadyStartedError('Workflow execution already started', input.options.workflowId, input.workflowType);
      }
      this.rethrowGrpcError(err, 'Failed to start Workflow', { workflowId: input.options.workflowId });
    }
  }

  async startOrJoin<W extends Workflow>(workflowType: string, options: WorkflowStartOptions<W>): Promise<{ runId: string; started: boolean }> {
    const output: StartOrJoinOutput = await this._start({ type: workflowType }, options, this.getOrMakeInterceptors(options.workflowId));
    // An interceptor answering without the server could drop the flag; none in this product does.
    return { runId: output.runId, started: output.started ?? true };
  }
}

const startingClients = new WeakMap<Client, StartOrJoinWorkflowClient>();

/**
 * Starts a workflow or joins its running run in one round trip, and says which (started: false = joined).
 * Same connection, namespace, data converter and interceptors as `client.workflow`.
 */
export async function startOrJoin<W extends Workflow>(client: Client, workflowType: string, options: WorkflowStartOptions<W>): Promise<{ runId: string; started: boolean }> {
  let starting = startingClients.get(client);
  if (!starting) {
    starting = new StartOrJoinWorkflowClient({ ...client.workflow.options, connection: client.connection });
    startingClients.set(client, starting);
  }
  return starting.startOrJoin(workflowType, options);
}
