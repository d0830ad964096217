/**
 * A loopback AWS: one `node:http` server answering EC2, RDS, ElastiCache, SQS, Lambda, S3, STS, IAM
 * and Organizations in their real wire protocols, for the real AWS SDK clients pointed at it with
 * `AWS_ENDPOINT_URL` (S3 path-style). Every request must carry a valid SigV4 signature made with
 * credentials this server issued; the signing scope names the service and region, the access key the
 * account. Pages are small so every paginator loops; errors have AWS's shapes; faults (throttling
 * storms, denied actions, refused roles, disabled regions) are injected per test.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { identifyCall, protocolOf, type CallContext } from './services.js';
import { verifySignature } from './sigv4.js';
import { errorResponse, type FakeResponse, type Protocol } from './wire.js';
import type { AwsWorld, FakeAccount, FakeRole } from './world.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface IssuedCredentials extends AwsCredentials {
  accountId: string;
  arn: string;
}

export interface ThrottleFault {
  service: string;
  region?: string;
  account?: string;
  /** How many matching requests are answered with the service's throttling error. */
  count: number;
}

export interface DenyFault {
  /** IAM action, e.g. `ec2:DescribeInstances`. */
  action: string;
  account?: string;
  region?: string;
}

export interface AwsRequestRecord {
  service: string;
  action: string;
  account: string;
  region: string;
  status: number;
  /** Error code when the answer was an error. */
  code?: string;
  at: number;
}

export interface AwsFakeOptions {
  world: AwsWorld;
  /** Items per page at most, whatever the client asks for (default 2). */
  pageSize?: number;
  /** Account whose IAM user the base credentials belong to (default: the Organization's management account, else the first). */
  callerAccountId?: string;
}

export interface AwsFake {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly world: AwsWorld;
  /** Long-term credentials of an IAM user in the caller account. */
  readonly credentials: AwsCredentials;
  /**
   * The standard AWS environment for a process that should use this fake: endpoint, the base
   * credentials, home region, and no shared config files or instance metadata.
   */
  env(region?: string): Record<string, string>;
  /** Long-term credentials of an IAM user in another account. */
  issueCredentials(accountId: string): AwsCredentials;
  throttle(fault: ThrottleFault): void;
  deny(fault: DenyFault): void;
  clearFaults(): void;
  requests(): AwsRequestRecord[];
  resetRequests(): void;
  /** TCP connections open right now (clients that were not closed keep theirs alive). */
  openConnections(): number;
  close(): Promise<void>;
}

const THROTTLE: Record<Protocol, (service: string) => { status: number; code: string; message: string; namespace?: string }> = {
  ec2: () => ({ status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' }),
  query: () => ({ status: 400, code: 'Throttling', message: 'Rate exceeded' }),
  json: (service) =>
    service === 'organizations'
      ? { status: 400, code: 'TooManyRequestsException', message: 'AWS Organizations can\'t complete your request because another request is already in progress.', namespace: 'com.amazonaws.organizations.v20161128' }
      : service === 'tagging'
        ? { status: 400, code: 'ThrottledException', message: 'Rate exceeded', namespace: 'com.amazonaws.resourcegroupstaggingapi' }
        : { status: 400, code: 'ThrottlingException', message: 'Rate exceeded', namespace: 'com.amazon.coral.availability' },
  restJson: () => ({ status: 429, code: 'TooManyRequestsException', message: 'Rate exceeded' }),
  restXml: () => ({ status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }),
};

function deniedError(protocol: Protocol, action: string, principal: string): { status: number; code: string; message: string; namespace?: string } {
  const because = `User: ${principal} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
  switch (protocol) {
    case 'ec2':
      return { status: 403, code: 'UnauthorizedOperation', message: `You are not authorized to perform this operation. ${because}` };
    case 'query':
      return { status: 403, code: 'AccessDenied', message: because };
    case 'json':
      return { status: 400, code: 'AccessDeniedException', message: because, namespace: 'com.amazon.coral.service' };
    case 'restJson':
      return { status: 403, code: 'AccessDeniedException', message: because };
    case 'restXml':
      return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
  }
}

function regionDisabled(protocol: Protocol): { status: number; code: string; message: string } {
  switch (protocol) {
    case 'ec2':
      return { status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
    case 'query':
      return { status: 403, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' };
    default:
      return { status: 403, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
}

function unknownKey(protocol: Protocol): { status: number; code: string; message: string } {
  switch (protocol) {
    case 'ec2':
      return { status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
    case 'restXml':
      return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
    case 'query':
      return { status: 403, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' };
    default:
      return { status: 403, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
}

export async function startAwsFake(options: AwsFakeOptions): Promise<AwsFake> {
  const world = options.world;
  const pageSize = options.pageSize ?? 2;
  const issued = new Map<string, IssuedCredentials>();
  const throttles: ThrottleFault[] = [];
  const denials: DenyFault[] = [];
  let log: AwsRequestRecord[] = [];

  const accountOf = (id: string) => world.accounts.find((a) => a.id === id);
  const issue = (accountId: string, prefix: 'AKIA' | 'ASIA', arn: string, session: boolean): IssuedCredentials => {
    const creds: IssuedCredentials = {
      accessKeyId: `${prefix}${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(20).toString('base64'),
      ...(session ? { sessionToken: randomBytes(32).toString('base64') } : {}),
      accountId,
      arn,
    };
    issued.set(creds.accessKeyId, creds);
    return creds;
  };
  const issueUser = (accountId: string) => issue(accountId, 'AKIA', `arn:aws:iam::${accountId}:user/elder-sync`, false);
  const callerId = options.callerAccountId ?? world.organization?.managementAccountId ?? world.accounts[0]?.id ?? '000000000000';
  const base = issueUser(callerId);

  const assume = (account: FakeAccount, role: FakeRole, sessionName: string) => {
    const arn = `arn:aws:sts::${account.id}:assumed-role/${role.name}/${sessionName}`;
    const creds = issue(account.id, 'ASIA', arn, true);
    return { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken!, expiration: new Date(Date.now() + 3600_000), arn };
  };

  const handle = (req: IncomingMessage, body: Buffer): { response: FakeResponse; record: Omit<AwsRequestRecord, 'status' | 'code' | 'at'> } => {
    const url = req.url ?? '/';
    const check = verifySignature({ method: req.method ?? 'GET', url, headers: req.headers, body }, (key) => issued.get(key)?.secretAccessKey);
    const service = check.auth?.service ?? 'unknown';
    const protocol = protocolOf(service);
    const region = check.auth?.region ?? '';
    const record = { service, action: `${service}:?`, account: '', region };
    if (!check.ok) return { response: errorResponse(protocol, { status: 403, code: check.code, message: check.message }), record };
    const creds = issued.get(check.auth.accessKeyId);
    const token = req.headers['x-amz-security-token'];
    if (!creds || (creds.sessionToken !== undefined && token !== creds.sessionToken)) {
      return { response: errorResponse(protocol, unknownKey(protocol)), record };
    }
    const account = accountOf(creds.accountId);
    if (!account) return { response: errorResponse(protocol, unknownKey(protocol)), record };
    record.account = account.id;

    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const contentType = String(req.headers['content-type'] ?? '');
    const text = body.toString('utf8');
    let json: Record<string, unknown> = {};
    if (contentType.includes('json') && text.trim() !== '') {
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return { response: errorResponse(protocol, { status: 400, code: 'SerializationException', message: 'Malformed JSON body' }), record };
      }
    }
    const ctx: CallContext = {
      service,
      region,
      account,
      principalArn: creds.arn,
      method: req.method ?? 'GET',
      path,
      query,
      form: new URLSearchParams(contentType.includes('x-www-form-urlencoded') ? text : ''),
      json,
      target: req.headers['x-amz-target'] as string | undefined,
      contentType,
      world,
      pageSize,
      assume,
    };
    const call = identifyCall(ctx);
    if (!call) {
      return { response: errorResponse(protocol, { status: 400, code: protocol === 'ec2' ? 'InvalidAction' : 'UnknownOperationException', message: `The fake does not implement ${req.method} ${path} ${ctx.target ?? ctx.form.get('Action') ?? ''}` }, contentType), record };
    }
    record.action = call.action;
    const jsonType = contentType || 'application/x-amz-json-1.0';
    if (call.regional && !account.regions.includes(region)) {
      return { response: errorResponse(call.protocol, regionDisabled(call.protocol), jsonType), record };
    }
    const storm = throttles.find((t) => t.count > 0 && t.service === service && (t.region === undefined || t.region === region) && (t.account === undefined || t.account === account.id));
    if (storm) {
      storm.count -= 1;
      return { response: errorResponse(call.protocol, THROTTLE[call.protocol](service), jsonType), record };
    }
    if (denials.some((d) => d.action === call.action && (d.account === undefined || d.account === account.id) && (d.region === undefined || d.region === region))) {
      return { response: errorResponse(call.protocol, deniedError(call.protocol, call.action, creds.arn), jsonType), record };
    }
    return { response: call.run(), record };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let out: ReturnType<typeof handle>;
      try {
        out = handle(req, Buffer.concat(chunks));
      } catch (error) {
        out = {
          response: { status: 500, headers: { 'content-type': 'text/plain' }, body: `fake AWS failed: ${(error as Error).stack}` },
          record: { service: 'unknown', action: 'unknown', account: '', region: '' },
        };
      }
      const { response, record } = out;
      const code = response.status >= 300 ? /<Code>([^<]+)<\/Code>|"__type":"(?:[^"#]*#)?([^"]+)"|^(\w+):/.exec(response.body + (response.headers['x-amzn-errortype'] ? `\n${response.headers['x-amzn-errortype']}` : ''))?.slice(1).find(Boolean) ?? response.headers['x-amzn-errortype']?.replace(/:.*$/, '') : undefined;
      log.push({ ...record, status: response.status, ...(code ? { code } : {}), at: Date.now() });
      res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
      res.end(response.body);
    });
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    world,
    credentials: { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey },
    env: (region = 'us-east-1') => ({
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: base.accessKeyId,
      AWS_SECRET_ACCESS_KEY: base.secretAccessKey,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    }),
    issueCredentials: (accountId) => {
      const c = issueUser(accountId);
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
    },
    throttle: (fault) => throttles.push({ ...fault }),
    deny: (fault) => denials.push({ ...fault }),
    clearFaults: () => {
      throttles.length = 0;
      denials.length = 0;
    },
    requests: () => [...log],
    resetRequests: () => {
      log = [];
    },
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
