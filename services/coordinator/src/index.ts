export { createCoordinatorService, coordinatorBinding } from './service.js';
