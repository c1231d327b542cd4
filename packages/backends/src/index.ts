export {
  BACKEND_REQUESTS,
  type BackendChoice,
  type BackendName,
  type BackendRequest,
  useBackend,
} from './use-backend.js';
