// The coordinator service: gRPC handlers over the CoordinatorService contract. Handlers stay thin; the work
// lives in libs. Methods not built yet answer UNIMPLEMENTED with the method name.
import { CoordinatorServiceService, type CoordinatorServiceServer } from '@prune/contracts';
import { serverStream, unary, unimplemented, type ServiceBinding } from '@prune/service-kit';

export function createCoordinatorService(): CoordinatorServiceServer {
  return {
    startRun: unary(async () => {
      throw unimplemented('CoordinatorService.StartRun');
    }),
    getRun: unary(async () => {
      throw unimplemented('CoordinatorService.GetRun');
    }),
    watchRun: serverStream(async () => {
      throw unimplemented('CoordinatorService.WatchRun');
    }),
    listRuns: unary(async () => {
      throw unimplemented('CoordinatorService.ListRuns');
    }),
    cancelRun: unary(async () => {
      throw unimplemented('CoordinatorService.CancelRun');
    }),
  };
}

export function coordinatorBinding(implementation: CoordinatorServiceServer = createCoordinatorService()): ServiceBinding {
  return { name: 'prune.v1.CoordinatorService', definition: CoordinatorServiceService, implementation };
}
