/*
 * Example operations of the playground's "Examples" panel: the loan lifecycle walk-through
 * (register → apply → approve → accept → disburse → pay → daily update), correcting money (a
 * payoff quote and an early settlement; a payment reversal asked for by one ADMIN and approved
 * by another, or rejected), the reads, and the live subscriptions. Each step says which id to
 * copy from the step before.
 */
window.PLAYGROUND_EXAMPLES = [
  {
    group: "Start here",
    title: "Who am I, which products exist",
    query: `# Welcome to the lending gateway's playground.
#
# The "Examples" panel on the left walks through the whole loan lifecycle.
# Run an operation with Ctrl-Enter (or the ▶ button); the Headers tab below holds
# {"Authorization": "Bearer <token>"} (prefilled with an ADMIN token in development).
# Subscriptions run over WebSocket (graphql-ws) on the same /graphql path.

query Welcome {
  me {
    role
    partner { id name }
    customer { id fullName }
  }
  loanProducts {
    code
    name
    minAmount
    maxAmount
    minTenorMonths
    maxTenorMonths
    monthlyInterestRateBps
  }
}
`,
    variables: "",
  },
  {
    group: "Lifecycle walk-through",
    title: "1. Register a customer",
    query: `# Anyone may register; a PARTNER registering makes the customer its own.
# NIK: province (31) … day of birth (17), month (05), year (90) … serial. Change the NIK,
# phone and email for each new customer (they are unique).
# Copy customer.id for step 2; the token is the customer's own (CUSTOMER role).

mutation RegisterCustomer($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) {
    token
    customer { id fullName phone email nik walletBalance }
  }
}
`,
    variables: {
      input: {
        fullName: "Siti Rahmawati",
        nik: "3171015705900001",
        dateOfBirth: "1990-05-17",
        phone: "081234567890",
        email: "siti@example.id",
        monthlyIncome: "12000000",
        pin: "123456",
      },
    },
  },
  {
    group: "Lifecycle walk-through",
    title: "2. Submit an application",
    query: `# Scored at once: DENIED with reasons, or SUBMITTED waiting for an ADMIN.
# Copy the application id for steps 3 and 4.

mutation SubmitApplication($input: SubmitApplicationInput!) {
  submitApplication(input: $input) {
    id
    status
    statusCode
    requestedAmount
    tenorMonths
    creditScore { grade maxAmount maxTenorMonths monthlyInterestRateBps reasons }
  }
}
`,
    variables: {
      input: {
        customerId: "PASTE-CUSTOMER-ID",
        productCode: "MTL",
        requestedAmount: "3000000",
        tenorMonths: 3,
        purpose: "Modal usaha",
      },
    },
  },
  {
    group: "Lifecycle walk-through",
    title: "3. Approve (ADMIN): make an offer",
    query: `mutation ApproveApplication($input: ApproveApplicationInput!) {
  approveApplication(input: $input) {
    id
    status
    offer {
      amount
      tenorMonths
      monthlyInterestRateBps
      originationFee
      disbursedAmount
      installmentAmount
      firstDueDate
      expiresAt
    }
  }
}
`,
    variables: { input: { applicationId: "PASTE-APPLICATION-ID", note: "Looks good" } },
  },
  {
    group: "Lifecycle walk-through",
    title: "4. Accept the offer: creates the loan",
    query: `# The customer accepts (use the customer's token from step 1 in the headers).
# Copy the loan id for the next steps.

mutation AcceptOffer($applicationId: ID!) {
  acceptOffer(applicationId: $applicationId) {
    id
    status
    statusCode
    principal
    disbursedAmount
  }
}
`,
    variables: { applicationId: "PASTE-APPLICATION-ID" },
  },
  {
    group: "Lifecycle walk-through",
    title: "5. Disburse (ADMIN): the schedule is made",
    query: `mutation DisburseLoan($input: DisburseLoanInput!) {
  disburseLoan(input: $input) {
    id
    status
    disbursedAt
    totalDue
    outstandingAmount
    payments { installmentNumber dueDate principalDue interestDue amountDue status }
  }
}
`,
    variables: { input: { loanId: "PASTE-LOAN-ID" } },
  },
  {
    group: "Lifecycle walk-through",
    title: "6. Record a payment (ADMIN)",
    query: `# Allocated oldest installment first: principal → interest → late fee; the rest goes
# to the wallet. Repeating the same idempotencyKey returns the first result (replayed: true).

mutation RecordPayment($input: RecordPaymentInput!) {
  recordPayment(input: $input) {
    replayed
    transaction {
      id
      amount
      walletCredit
      allocations { principal interest lateFee payment { installmentNumber status } }
    }
    loan { id status totalPaid outstandingAmount }
  }
}
`,
    variables: { input: { loanId: "PASTE-LOAN-ID", amount: "1124000", idempotencyKey: "bank-ref-0001", channel: "VA_BCA" } },
  },
  {
    group: "Lifecycle walk-through",
    title: "7. Run the daily update (ADMIN)",
    query: `# Idempotent for a given date: installment statuses, late fees, loan statuses, expired offers.
# Try a date past the first due date to see a loan fall late (and the subscription fire).

mutation RunDailyUpdate($asOf: Date!) {
  runDailyUpdate(asOf: $asOf) {
    asOf
    paymentsUpdated
    loansUpdated
    lateFeesApplied
    offersExpired
  }
}
`,
    variables: { asOf: "2026-12-31" },
  },
  {
    group: "Correcting money",
    title: "Payoff quote: what closes a loan",
    query: `# RULES 12.1. Anyone who may see the loan; null unless it is CURRENT or LATE_*.
# asOf defaults to today (Asia/Jakarta); one before the disbursement date is BAD_USER_INPUT.
# The current installment (first unpaid one due on or after asOf) and every earlier unpaid one
# are owed in full; later ones owe principal and late fee, their interest is interestWaived.
# Copy payoffQuote.amount for "Settle a loan early". Nothing is written.

query PayoffQuote($id: ID!, $asOf: Date) {
  loan(id: $id) {
    id
    status
    outstandingAmount
    payoffQuote(asOf: $asOf) {
      asOf
      principal
      interest
      lateFees
      interestWaived
      amount
    }
  }
}
`,
    variables: { id: "PASTE-LOAN-ID" },
  },
  {
    group: "Correcting money",
    title: "Settle a loan early (ADMIN)",
    query: `# RULES 12.2. amount must be at least the payoff quote's amount as of paidAt's date (paidAt
# defaults to now): below it is BAD_USER_INPUT with extensions.payoffAmount and writes nothing.
# The later installments' interest is waived, the money is allocated as a payment (any excess
# goes to the wallet), and the loan becomes PAID_OFF with reason "early settlement".
# idempotencyKey shares recordPayment's keys: a key used there is IDEMPOTENCY_CONFLICT here.

mutation SettleLoan($input: SettleLoanInput!) {
  settleLoan(input: $input) {
    replayed
    transaction {
      id
      kind
      amount
      walletCredit
      allocations { principal interest lateFee payment { installmentNumber status } }
    }
    loan { id status totalDue totalPaid outstandingAmount }
  }
}
`,
    variables: { input: { loanId: "PASTE-LOAN-ID", amount: "PASTE-PAYOFF-AMOUNT", idempotencyKey: "bank-ref-settle-0001", channel: "VA_BCA" } },
  },
  {
    group: "Correcting money",
    title: "Reversal 1. Request it (ADMIN)",
    query: `# RULES 12.3, four eyes: one ADMIN asks, ANOTHER ADMIN approves (or any ADMIN rejects).
# The ADMIN is the token's sub: the development token in the Headers tab has sub "playground".
# Only a PAYMENT that is not reversed, without another PENDING request, on a loan that was not
# settled early and is not WRITTEN_OFF (else INVALID_STATE). reason: 1–500 characters.
# Nothing changes in the money yet. The transaction id is in step 6's answer (or in the loan's
# transactions). Copy the reversal id for step 2 (or for "Reject").

mutation RequestPaymentReversal($input: RequestPaymentReversalInput!) {
  requestPaymentReversal(input: $input) {
    id
    status
    reason
    requestedBy
    requestedAt
    transaction { id amount kind reversed }
  }
}
`,
    variables: { input: { transactionId: "PASTE-TRANSACTION-ID", reason: "Transfer bounced: bank returned the funds" } },
  },
  {
    group: "Correcting money",
    title: "Reversal 2. Approve it (another ADMIN)",
    query: `# Four eyes: this needs an ADMIN token with ANOTHER sub than the one that asked (the same sub
# is FORBIDDEN). Mint one in a terminal:
#     npm run token -- --role ADMIN --sub bob
# and paste it into the Headers tab: {"Authorization": "Bearer <bob's token>"}.
# PENDING only (else INVALID_STATE). The transaction stops counting (reversed: true), every
# later payment is re-posted, and the loan is evaluated as of asOf (default today): a PAID_OFF
# loan goes back to CURRENT or LATE_* with reason "payment reversal" (see "Watch loan status
# changes"). asOf may not be before the latest remaining payment.

mutation ApprovePaymentReversal($input: DecidePaymentReversalInput!) {
  approvePaymentReversal(input: $input) {
    id
    status
    requestedBy
    decidedBy
    decidedAt
    decisionNote
    transaction {
      id
      reversed
      loan { id status daysPastDue totalPaid outstandingAmount customer { walletBalance } }
    }
  }
}
`,
    variables: { input: { reversalId: "PASTE-REVERSAL-ID", note: "Bank statement checked" } },
  },
  {
    group: "Correcting money",
    title: "Reversal: reject it instead (ADMIN)",
    query: `# The alternative to approving: any ADMIN, the one who asked included. PENDING only (else
# INVALID_STATE); the request becomes REJECTED and nothing else changes. A new request for the
# same transaction may be made afterwards.

mutation RejectPaymentReversal($input: DecidePaymentReversalInput!) {
  rejectPaymentReversal(input: $input) {
    id
    status
    decidedBy
    decidedAt
    decisionNote
    transaction { id reversed reversal { id status } }
  }
}
`,
    variables: { input: { reversalId: "PASTE-REVERSAL-ID", note: "Funds arrived after all" } },
  },
  {
    group: "Correcting money",
    title: "Reversal requests (ADMIN)",
    query: `# Newest first; filter by status (PENDING, APPROVED, REJECTED) or leave it out for all.

query PaymentReversals($status: PaymentReversalStatus, $first: Int, $after: String) {
  paymentReversals(status: $status, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      status
      reason
      requestedBy
      requestedAt
      decidedBy
      decidedAt
      transaction { id amount paidAt loan { id status customer { fullName } } }
    }
  }
}
`,
    variables: { status: "PENDING", first: 20 },
  },
  {
    group: "Reads",
    title: "A loan with its schedule and history",
    query: `query Loan($id: ID!) {
  loan(id: $id) {
    id
    status
    statusCode
    daysPastDue
    principal
    totalDue
    totalPaid
    outstandingAmount
    customer { id fullName nik }
    partner { code name }
    payments {
      installmentNumber
      dueDate
      amountDue
      paidAmount
      lateFeeDue
      daysPastDue
      status
    }
    transactions(first: 10) { nodes { id kind paidAt amount walletCredit idempotencyKey reversed reversal { status reason } } }
    statusHistory { fromCode toCode reason actor at }
  }
}
`,
    variables: { id: "PASTE-LOAN-ID" },
  },
  {
    group: "Reads",
    title: "Late loans (paged)",
    query: `query LateLoans($first: Int, $after: String) {
  loans(first: $first, after: $after, filter: { minDaysPastDue: 1 }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      status
      daysPastDue
      outstandingAmount
      customer { fullName phone }
    }
  }
}
`,
    variables: { first: 20 },
  },
  {
    group: "Reads",
    title: "Customers: search, with their applications",
    query: `query Customers($search: String) {
  customers(first: 10, filter: { search: $search }) {
    totalCount
    nodes {
      id
      fullName
      phone
      walletBalance
      partner { code }
      applications(first: 5) { nodes { id status requestedAmount createdAt } }
    }
  }
}
`,
    variables: { search: "siti" },
  },
  {
    group: "Reads",
    title: "Portfolio summary",
    query: `# ADMIN: everything, or one partner with partnerId. A PARTNER always gets its own.

query PortfolioSummary($partnerId: ID) {
  portfolioSummary(partnerId: $partnerId) {
    loanCount
    activeLoanCount
    disbursedTotal
    collectedTotal
    outstandingAmount
    byStatus { status count outstandingAmount }
  }
}
`,
    variables: {},
  },
  {
    group: "Reads",
    title: "Quote a loan (anyone)",
    query: `query LoanQuote($input: LoanQuoteInput!) {
  loanQuote(input: $input) {
    principal
    originationFee
    disbursedAmount
    totalInterest
    totalRepayment
    installments { installmentNumber dueDate principal interest total }
  }
}
`,
    variables: { input: { productCode: "MTL", amount: "3000000", tenorMonths: 3, loanDate: "2026-01-10" } },
  },
  {
    group: "Reads",
    title: "Partners (ADMIN)",
    query: `query Partners {
  partners {
    id
    code
    name
    loans(first: 5) { totalCount nodes { id status outstandingAmount } }
  }
}
`,
    variables: "",
  },
  {
    group: "Live (WebSocket)",
    title: "Watch loan status changes",
    query: `# Runs over graphql-ws; the Authorization header is sent as connectionParams.authorization.
# Leave it running, then change a loan (disburse, pay, daily update) in another tab.
# Each event has a cursor: pass it as "after" to replay everything after it, then go on live.

subscription WatchLoans($partnerId: ID, $loanId: ID, $after: String) {
  loanStatusChanged(partnerId: $partnerId, loanId: $loanId, after: $after) {
    cursor
    at
    fromStatus
    toStatus
    reason
    loan { id status daysPastDue outstandingAmount customer { fullName } }
  }
}
`,
    variables: {},
  },
  {
    group: "Live (WebSocket)",
    title: "Watch application status changes",
    query: `subscription WatchApplications($partnerId: ID, $applicationId: ID, $after: String) {
  applicationStatusChanged(partnerId: $partnerId, applicationId: $applicationId, after: $after) {
    cursor
    at
    fromStatus
    toStatus
    reason
    application { id status customer { fullName } }
  }
}
`,
    variables: {},
  },
  {
    group: "Admin",
    title: "Create a partner (ADMIN)",
    query: `# Mint the partner's token with: npm run token -- --role PARTNER --sub <partner id>

mutation CreatePartner($input: CreatePartnerInput!) {
  createPartner(input: $input) { id code name }
}
`,
    variables: { input: { code: "KOPERASI01", name: "Koperasi Sejahtera" } },
  },
];
