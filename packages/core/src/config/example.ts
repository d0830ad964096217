/**
 * The commented example `elder-sync config init` writes. Kept valid by a test that loads it.
 * Given the installed connector ids, only their example sources are written: an example of a
 * connector that is not installed would fail the user's first `config validate`.
 */
export function exampleConfig(installed?: readonly string[]): string {
  const sources = Object.entries(EXAMPLE_SOURCES)
    .filter(([id]) => installed === undefined || installed.includes(id))
    .map(([, text]) => text);
  if (sources.length === 0) return `${EXAMPLE}sources: []   # no connector with an example is installed: see "elder-sync connectors"\n`;
  return `${EXAMPLE}sources:\n${sources.join('\n')}`;
}

const EXAMPLE = `# elder-sync configuration (YAML; JSON works too).
# \${NAME} is replaced by an environment variable (\${NAME:-default} when it may be unset),
# \${file:./path} by a file's contents (relative to this file). Values read that way are treated as
# secrets: redacted in logs and shown as (sensitive). "$\${" is a literal "\${".
# Check it offline with: elder-sync config validate

elder:
  url: https://elder.example.com       # without /api/v1
  # Either a portal login ...
  email: "\${ELDER_EMAIL}"
  password: "\${ELDER_PASSWORD}"
  # ... or an API token (what the Python worker's ELDER_API_KEY was):
  # token: "\${ELDER_API_KEY}"
  # Where synced organizations hang: names from the top, or an id. Default: { path: [elder-sync] }.
  organization: { path: [Acme, Infrastructure] }   # or { id: 12 }
  createMissingOrganizations: true     # default true: create the organization path above if missing
  # concurrency: 8                     # Elder requests in flight (1-64)
  # timeoutMs: 30000                   # per request
  # maxAttempts: 5                     # per request, for network errors and 5xx

# state:
#   path: ./.elder-sync/state.db       # checkpoints and id mappings (SQLite). Relative to this file;
#                                      # default: $ELDER_SYNC_STATE, else ./.elder-sync/state.db

# daemon:                              # "elder-sync daemon" only; these are the defaults
#   listen: 127.0.0.1:9464             # /healthz /readyz /status /metrics (0.0.0.0:9464 in a container)
#   runOnStart: true                   # every source once at start, then on its schedule
#   defaultInterval: 3600              # seconds, for a source with neither schedule nor interval
#   jitterSeconds: 0                   # start each run up to this many seconds late, at random
#   gracePeriodSeconds: 30             # on SIGTERM, time for the writes in flight

`;

/** An example source per connector id, written when that connector is installed. */
const EXAMPLE_SOURCES: Record<string, string> = {
  ldap: `  - name: corp-ldap                    # unique; state and ownership are keyed by it: do not rename
    connector: ldap
    schedule: "*/15 * * * *"           # daemon only (cron); or interval: 3600 (seconds)
    deletes: delete                    # delete (default) | mark | keep  -- only objects elder-sync created
    # maxDeletePercent: 20             # refuse to delete more of a scope's objects than this without --allow-mass-delete
    # fullEvery: 1                     # every Nth run reads everything and so sees deletions (1 = every run)
    # concurrency: 4                   # scopes (directories, accounts x regions, ...) read in parallel
    # organization: { path: [Acme, Directory] }   # overrides elder.organization for this source
    # types:                           # Elder entity type per record kind
    #   user: { entityType: identity, subType: user }
    config:                            # the connector's own settings: see "elder-sync connectors"
      url: ldaps://ldap.example.com
      bindDn: cn=reader,dc=example,dc=com
      bindPassword: "\${LDAP_PW}"
      baseDn: dc=example,dc=com
`,
  gcp: `  - name: gcp-prod                     # every ACTIVE project below the parents is a scope
    connector: gcp
    interval: 3600
    config:
      # credentials: "\${file:./gcp-sa.json}"   # service-account key (secret); default: application-default credentials
      # impersonate: sync@my-project.iam.gserviceaccount.com
      parents: [organizations/123456789]         # and/or folders/<n>: recursive
      # projects: [web-prod]                     # project ids, read directly
      excludeProjects: [sandbox-*]
      # resources: [instances, networks, subnetworks, buckets]
`,
  // Commented out: a first "config validate" would fail on the key file it names until one exists.
  workspace: `  # - name: workspace                  # Google Workspace: org units, users, groups, membership
  #   connector: workspace
  #   config:
  #     credentials: "\${file:./workspace-sa.json}"   # service-account key, domain-wide delegation (secret)
  #     subject: admin@example.com     # the administrator it acts as
  #     # customer: my_customer        # or a customer id such as C03az79cb
  #     # domain: example.com          # only this domain of a multi-domain customer
  #     # kinds: [orgunit, user, group]
`,
  aws: `  - name: prod-aws                     # credentials: the AWS SDK's default chain (env, profile, SSO, instance role)
    connector: aws
    interval: 3600
    config:
      accounts:                        # optional; default: the credential chain's own account
        - roleArn: arn:aws:iam::123456789012:role/elder-sync-read
          # externalId: "\${AWS_EXTERNAL_ID}"   # if the role's trust policy asks for one (secret)
          # name: prod                 # label in Elder (else the account alias, else its name)
      # organization:                  # every ACTIVE member account of the AWS Organization
      #   roleName: elder-sync-read    # assumed in each member account
      #   includeOus: [ou-ab12-cdef3456]
      #   excludeAccounts: ["111111111111"]
      regions: ["*"]                   # "*": every region enabled for each account
      # services: [ec2, vpc, lambda, rds, elasticache, sqs, s3]   # default: all seven
      # endpoints: { ec2: "https://vpce-0abc.ec2.eu-west-1.vpce.amazonaws.com" }   # per service; AWS_ENDPOINT_URL works too
`,
  graph: `  - name: customers-m365               # Microsoft Entra ID, Intune and Defender, one organization per tenant
    connector: graph
    schedule: "*/15 * * * *"
    # fullEvery: 96                    # graph's default: delta reads (deletions included) between daily full reads
    config:
      tenants:                         # or tenantsFile: ./tenants.yaml (the same list, for many customers)
        - id: contoso.onmicrosoft.com  # tenant id (GUID) or primary domain
          name: Contoso                # the tenant's organization in Elder
          clientId: 11111111-2222-3333-4444-555555555555   # its app registration (application permissions, admin consent)
          clientSecret: "\${CONTOSO_CLIENT_SECRET}"        # or \${file:./secrets/contoso.secret}
          # certificate: { privateKey: "\${file:./contoso.key}", thumbprint: "AB12..." }
      # resources: [users, groups, devices, managedDevices, machines, alerts, vulnerabilities, secureScore]
      # cloud: global                  # global | usgov | usgov-dod | china
`,
};
