export { canonicalJson, contentHash, isJsonObject, type JsonObject, type JsonPrimitive, type JsonValue } from '@elder-sync/connector-sdk';
