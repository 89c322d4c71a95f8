export { createTrainerService, trainerBinding } from './service.js';
