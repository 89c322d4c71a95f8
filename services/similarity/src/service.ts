// The similarity service: gRPC handlers over the SimilarityService contract. Handlers stay thin; the work
// lives in libs. Methods not built yet answer UNIMPLEMENTED with the method name.
import { SimilarityServiceService, type SimilarityServiceServer } from '@prune/contracts';
import { unary, unimplemented, type ServiceBinding } from '@prune/service-kit';

export function createSimilarityService(): SimilarityServiceServer {
  return {
    describe: unary(async () => {
      throw unimplemented('SimilarityService.Describe');
    }),
    compare: unary(async () => {
      throw unimplemented('SimilarityService.Compare');
    }),
  };
}

export function similarityBinding(implementation: SimilarityServiceServer = createSimilarityService()): ServiceBinding {
  return { name: 'prune.v1.SimilarityService', definition: SimilarityServiceService, implementation };
}
