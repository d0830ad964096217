import { PermissionDeniedError, SourceError } from '@elder-sync/connector-sdk';
import { classifyGoogleError, googleErrorFacts } from '@elder-sync/google-auth';
import { DELEGATION_CONSOLE_PATH } from './oauth-scopes.js';

/** What a failed Directory call was, so the error can name it and its fix. */
export interface DirectoryCallContext {
  /** `users.list for my_customer`. */
  what: string;
  /** The read-only scope the call needs. */
  scope: string;
  /** The delegated administrator. */
  subject: string;
}

/**
 * A Directory API error as the SDK's class (throttling, transient, auth, not found come from the
 * shared Google classification), with the two permission failures of domain-wide delegation made
 * actionable: a token without the method's scope names the scope and where to grant it; "Not
 * Authorized to access this resource/api" means the subject is no administrator who may read it.
 */
export function directoryError(error: unknown, context: DirectoryCallContext): SourceError {
  const classified = classifyGoogleError(error, { what: context.what, permission: context.scope });
  if (!(classified instanceof PermissionDeniedError)) return classified;
  const facts = googleErrorFacts(error);
  if (facts.reasons.includes('insufficientPermissions') || facts.reasons.includes('ACCESS_TOKEN_SCOPE_INSUFFICIENT')) {
    return new PermissionDeniedError(
      `${context.what}: the access token lacks the scope ${context.scope}; add it to the service account's client id in ${DELEGATION_CONSOLE_PATH}`,
      { permission: context.scope },
    );
  }
  if (facts.reasons.includes('forbidden')) {
    return new PermissionDeniedError(
      `${context.what}: ${context.subject} may not read this (Google said: ${facts.message}); the subject must be a super admin, or hold an admin role with read access to users, groups and organizational units (Admin console → Account → Admin roles)`,
      { permission: 'admin role of the subject' },
    );
  }
  return classified;
}

/** A local precondition (the config itself) is wrong: no request was sent. */
export class WorkspaceConfigError extends SourceError {
  constructor(message: string) {
    super(message, { code: 'WORKSPACE_CONFIG' });
  }
}
