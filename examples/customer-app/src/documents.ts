/**
 * The customer's operations, typed by GraphQL Codegen (src/gql/, `npm run codegen:example`).
 * Every document here is in src/gql/persisted-documents.json: a gateway started with
 * TRUSTED_DOCUMENTS pointing at that file runs them, and nothing else, for CUSTOMER callers.
 */
import { graphql } from "./gql/index.js";

export const RegisterCustomer = graphql(`
  mutation RegisterCustomer($input: RegisterCustomerInput!) {
    registerCustomer(input: $input) {
      token
      customer {
        id
        fullName
        phone
      }
    }
  }
`);

export const Login = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      customer {
        id
        fullName
        phone
      }
    }
  }
`);

export const MyLoans = graphql(`
  query MyLoans($first: Int = 20, $after: String) {
    me {
      role
      customer {
        id
        fullName
        walletBalance
        loans(first: $first, after: $after) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          nodes {
            id
            status
            principal
            tenorMonths
            disbursedAt
            daysPastDue
            totalDue
            totalPaid
            outstandingAmount
            product {
              code
              name
            }
            payoffQuote {
              asOf
              amount
              principal
              interest
              interestWaived
              lateFees
            }
            payments {
              id
              installmentNumber
              dueDate
              status
              amountDue
              paidAmount
              outstandingAmount
            }
          }
        }
      }
    }
  }
`);

export const LoanQuote = graphql(`
  query LoanQuote($input: LoanQuoteInput!) {
    loanQuote(input: $input) {
      principal
      originationFee
      disbursedAmount
      totalInterest
      totalRepayment
      installments {
        installmentNumber
        dueDate
        principal
        interest
        total
      }
    }
  }
`);

export const MyLoanStatus = graphql(`
  subscription MyLoanStatus($loanId: ID, $after: String) {
    loanStatusChanged(loanId: $loanId, after: $after) {
      cursor
      at
      fromStatus
      toStatus
      reason
      loan {
        id
        status
      }
    }
  }
`);
