export { Detector, type AccountState, type Alert, type DetectorOptions } from './engine.js';
export { LADDER, DEFAULT_THRESHOLDS, evaluate, worse, type Finding, type Response, type Thresholds } from './rules.js';
export { AccountFeatures, CountWindow, DistinctWindow, defaultOffHours, type AccessEvent, MINUTE, HOUR, DAY, WEEK } from './features.js';
export { DetectionService } from './service.js';
export { LocalEventBus, RedisEventBus, type EventBus } from './bus.js';
export type { DisclosedPatient, Admission } from './ledger.js';
export { explain, explainState, isRuleId, RULE_IDS, type Explainable, type RuleId } from './explain.js';
