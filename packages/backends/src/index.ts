export {
  BACKEND_REQUESTS,
  type BackendChoice,
  type BackendName,
  type BackendRequest,
  type UseBackendOptions,
  useBackend,
} from './use-backend.js';
