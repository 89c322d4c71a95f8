// The trainer service: gRPC handlers over the TrainerService contract. Handlers stay thin; the work
// lives in libs. Methods not built yet answer UNIMPLEMENTED with the method name.
import { TrainerServiceService, type TrainerServiceServer } from '@prune/contracts';
import { serverStream, unary, unimplemented, type ServiceBinding } from '@prune/service-kit';

export function createTrainerService(): TrainerServiceServer {
  return {
    train: serverStream(async () => {
      throw unimplemented('TrainerService.Train');
    }),
    evaluate: unary(async () => {
      throw unimplemented('TrainerService.Evaluate');
    }),
    extractRepresentations: unary(async () => {
      throw unimplemented('TrainerService.ExtractRepresentations');
    }),
  };
}

export function trainerBinding(implementation: TrainerServiceServer = createTrainerService()): ServiceBinding {
  return { name: 'prune.v1.TrainerService', definition: TrainerServiceService, implementation };
}
