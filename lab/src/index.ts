export { createLab, labUnavailable, LabError, type CreateLabParameters, type Lab, type LabNamespace } from './createLab';
export { PYTHON, startLabServices, type LabServices } from './startLabServices';
