// The candidates service: gRPC handlers over the CandidatesService contract. Handlers stay thin; the work
// lives in libs. Methods not built yet answer UNIMPLEMENTED with the method name.
import { CandidatesServiceService, type CandidatesServiceServer } from '@prune/contracts';
import { unary, unimplemented, type ServiceBinding } from '@prune/service-kit';

export function createCandidatesService(): CandidatesServiceServer {
  return {
    makeCandidate: unary(async () => {
      throw unimplemented('CandidatesService.MakeCandidate');
    }),
  };
}

export function candidatesBinding(implementation: CandidatesServiceServer = createCandidatesService()): ServiceBinding {
  return { name: 'prune.v1.CandidatesService', definition: CandidatesServiceService, implementation };
}
