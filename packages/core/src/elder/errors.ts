import { ElderApiError } from '../errors.js';

/** One entry of Elder's 400 `validation_errors` (pydantic, elder-api.md §7.1) or 422 `details` (§2.2). */
export interface ElderValidationIssue {
  field: string;
  message: string;
  type?: string;
}

/**
 * Elder answered with an HTTP error (after any retries). Carries Elder's own `error` text and its
 * validation issues so callers can report "the object and the reason" (DESIGN §5.7) without parsing
 * the message. Code: `ELDER_HTTP_<status>` (from ElderApiError).
 */
export class ElderHttpError extends ElderApiError {
  /** Elder's `error` field, or a short description of a non-JSON body (HTML/plain-text 5xx, §7.1). */
  readonly elderMessage: string | undefined;
  readonly validationErrors: ElderValidationIssue[];
  /** Requests sent for this call, retries included. */
  readonly attempts: number;

  constructor(
    message: string,
    details: {
      status: number;
      method: string;
      path: string;
      transient: boolean;
      elderMessage?: string;
      validationErrors?: ElderValidationIssue[];
      attempts: number;
    },
  ) {
    super(message, details);
    this.elderMessage = details.elderMessage;
    this.validationErrors = details.validationErrors ?? [];
    this.attempts = details.attempts;
  }
}

/**
 * A non-idempotent create (`POST /entities`, `POST /organizations`) failed in a way that leaves it
 * unknown whether Elder applied it: a 5xx, or a reset/timeout after the request was sent. Elder has
 * no uniqueness and no idempotency keys (elder-api.md §0.1 item 6), so blindly retrying could make a
 * duplicate. The client does not retry; the caller must look its key up before creating again.
 * Code: `ELDER_WRITE_UNCERTAIN`; always `transient`.
 */
export class ElderWriteUncertainError extends ElderApiError {
  override readonly code = 'ELDER_WRITE_UNCERTAIN';
  readonly mayHaveApplied = true as const;

  constructor(message: string, details: { status?: number; method: string; path: string; cause?: unknown }) {
    super(message, { ...details, transient: true });
  }
}

export type ElderAuthErrorCode =
  | 'ELDER_LOGIN_REJECTED'
  | 'ELDER_LOGIN_MFA_REQUIRED'
  | 'ELDER_LOGIN_INVALID_EMAIL'
  | 'ELDER_LOGIN_FAILED'
  | 'ELDER_TOKEN_REJECTED';

/**
 * Elder refused our credentials: a rejected login (401 INVALID_CREDENTIALS, locked, deactivated),
 * an MFA-enabled account (cannot be automated), an invalid email (422), or a token that still gets
 * 401 after a refresh/re-login. Permanent. Messages name the account's email, never a password or token.
 */
export class ElderAuthError extends ElderApiError {
  override readonly code: ElderAuthErrorCode;

  constructor(
    code: ElderAuthErrorCode,
    message: string,
    details: { status?: number; method: string; path: string; cause?: unknown },
  ) {
    super(message, { ...details, transient: false });
    this.code = code;
  }
}

export function isWriteUncertain(error: unknown): error is ElderWriteUncertainError {
  return error instanceof ElderWriteUncertainError;
}
