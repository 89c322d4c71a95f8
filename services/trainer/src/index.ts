export { createTrainerService, trainConfigFromMessage, trainerBinding } from './service.js';
