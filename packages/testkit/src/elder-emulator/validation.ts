/**
 * A small re-implementation of the pydantic 2 (lax, python mode) checks Elder's request models use, with
 * pydantic's exact messages and error types (elder-api.md §7.2), and the `RequestModel` config of
 * penguin-libs: `extra="forbid"`, `from_attributes=True` (hence `model_attributes_type` for non-objects).
 */

export interface ValidationIssue {
  field: string;
  message: string;
  type: string;
}

type Check = (value: unknown, loc: string, issues: ValidationIssue[]) => unknown;

export interface FieldSpec {
  name: string;
  check: Check;
  /** Absent → "Field required". */
  required?: boolean;
  /** `Optional[...]`: null is accepted as-is. */
  nullable?: boolean;
}

export interface ModelSpec {
  fields: FieldSpec[];
  extra: 'forbid' | 'ignore';
}

export type ValidationResult =
  | { ok: true; values: Record<string, unknown>; present: Set<string> }
  | { ok: false; issues: ValidationIssue[] };

const INVALID = Symbol('invalid');

function issue(issues: ValidationIssue[], field: string, message: string, type: string): typeof INVALID {
  issues.push({ field, message, type });
  return INVALID;
}

/** Python's `len()` counts code points, not UTF-16 units. */
export function pythonLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

export function str(options: { maxLength?: number; minLength?: number; after?: (v: string) => string | null } = {}): Check {
  return (value, loc, issues) => {
    if (typeof value !== 'string') return issue(issues, loc, 'Input should be a valid string', 'string_type');
    const length = options.minLength !== undefined || options.maxLength !== undefined ? pythonLength(value) : 0;
    if (options.minLength !== undefined && length < options.minLength) {
      const unit = options.minLength === 1 ? 'character' : 'characters';
      return issue(issues, loc, `String should have at least ${options.minLength} ${unit}`, 'string_too_short');
    }
    if (options.maxLength !== undefined && length > options.maxLength) {
      const unit = options.maxLength === 1 ? 'character' : 'characters';
      return issue(issues, loc, `String should have at most ${options.maxLength} ${unit}`, 'string_too_long');
    }
    if (options.after) {
      const problem = options.after(value);
      if (problem !== null) return issue(issues, loc, `Value error, ${problem}`, 'value_error');
    }
    return value;
  };
}

const INT_STRING = /^\s*[+-]?\d+\s*$/;

export function int(options: { ge?: number } = {}): Check {
  return (value, loc, issues) => {
    let result: number;
    if (typeof value === 'boolean') result = value ? 1 : 0;
    else if (typeof value === 'number') {
      if (!Number.isInteger(value)) {
        return issue(issues, loc, 'Input should be a valid integer, got a number with a fractional part', 'int_from_float');
      }
      result = value;
    } else if (typeof value === 'string') {
      if (!INT_STRING.test(value)) {
        return issue(issues, loc, 'Input should be a valid integer, unable to parse string as an integer', 'int_parsing');
      }
      result = Number.parseInt(value.trim(), 10);
    } else return issue(issues, loc, 'Input should be a valid integer', 'int_type');
    if (options.ge !== undefined && result < options.ge) {
      return issue(issues, loc, `Input should be greater than or equal to ${options.ge}`, 'greater_than_equal');
    }
    return result;
  };
}

const TRUE_STRINGS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

export function bool(): Check {
  return (value, loc, issues) => {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (value === 1) return true;
      if (value === 0) return false;
      return issue(issues, loc, 'Input should be a valid boolean, unable to interpret input', 'bool_parsing');
    }
    if (typeof value === 'string') {
      const lowered = value.toLowerCase();
      if (TRUE_STRINGS.has(lowered)) return true;
      if (FALSE_STRINGS.has(lowered)) return false;
      return issue(issues, loc, 'Input should be a valid boolean, unable to interpret input', 'bool_parsing');
    }
    return issue(issues, loc, 'Input should be a valid boolean', 'bool_type');
  };
}

export function dict(): Check {
  return (value, loc, issues) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
    return issue(issues, loc, 'Input should be a valid dictionary', 'dict_type');
  };
}

export function list(item: Check, options: { minItems?: number; maxItems?: number } = {}): Check {
  return (value, loc, issues) => {
    if (!Array.isArray(value)) return issue(issues, loc, 'Input should be a valid list', 'list_type');
    const before = issues.length;
    const items = value.map((element, index) => item(element, `${loc}.${index}`, issues));
    if (issues.length > before) return INVALID;
    if (options.minItems !== undefined && items.length < options.minItems) {
      const unit = options.minItems === 1 ? 'item' : 'items';
      return issue(issues, loc, `List should have at least ${options.minItems} ${unit} after validation, not ${items.length}`, 'too_short');
    }
    if (options.maxItems !== undefined && items.length > options.maxItems) {
      const unit = options.maxItems === 1 ? 'item' : 'items';
      return issue(issues, loc, `List should have at most ${options.maxItems} ${unit} after validation, not ${items.length}`, 'too_long');
    }
    return items;
  };
}

/** Validate a decoded JSON body. Errors come in field order, then extras in input order, as pydantic reports them. */
export function validateModel(body: unknown, spec: ModelSpec): ValidationResult {
  const issues: ValidationIssue[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    issue(issues, '', 'Input should be a valid dictionary or object to extract fields from', 'model_attributes_type');
    return { ok: false, issues };
  }
  const input = body as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const present = new Set<string>();
  const known = new Set<string>();
  for (const field of spec.fields) {
    known.add(field.name);
    if (!Object.prototype.hasOwnProperty.call(input, field.name)) {
      if (field.required) issue(issues, field.name, 'Field required', 'missing');
      continue;
    }
    present.add(field.name);
    const raw = input[field.name];
    if (raw === null && field.nullable) {
      values[field.name] = null;
      continue;
    }
    const checked = field.check(raw, field.name, issues);
    if (checked !== INVALID) values[field.name] = checked;
  }
  if (spec.extra === 'forbid') {
    for (const key of Object.keys(input)) {
      if (!known.has(key)) issue(issues, key, 'Extra inputs are not permitted', 'extra_forbidden');
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, values, present };
}

/** penguin-libs `Name255` plus Elder's own whitespace validator share one message (elder-api.md §3.3). */
export function name255(value: string): string | null {
  const length = pythonLength(value);
  if (length < 1 || length > 255 || value.trim() === '') return 'name cannot be empty or whitespace-only';
  return null;
}
