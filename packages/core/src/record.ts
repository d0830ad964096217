export { recordItem, type ReadItem, type RecordRelation, type SourceRecord } from '@elder-sync/connector-sdk';
