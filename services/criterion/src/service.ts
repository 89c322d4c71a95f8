// The criterion service: gRPC handlers over the CriterionService contract. Handlers stay thin; the work
// lives in libs. Methods not built yet answer UNIMPLEMENTED with the method name.
import { CriterionServiceService, type CriterionServiceServer } from '@prune/contracts';
import { unary, unimplemented, type ServiceBinding } from '@prune/service-kit';

export function createCriterionService(): CriterionServiceServer {
  return {
    listCriteria: unary(async () => {
      throw unimplemented('CriterionService.ListCriteria');
    }),
    score: unary(async () => {
      throw unimplemented('CriterionService.Score');
    }),
  };
}

export function criterionBinding(implementation: CriterionServiceServer = createCriterionService()): ServiceBinding {
  return { name: 'prune.v1.CriterionService', definition: CriterionServiceService, implementation };
}
