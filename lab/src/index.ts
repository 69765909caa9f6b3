export { createLab, labUnavailable, LabError, PYTHON, type CreateLabParameters, type Lab, type LabNamespace } from './createLab';
export { startLabServices, type LabServices } from './startLabServices';
