import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { connectionTypes } from "../../graphql/connection.types.js";
import { LoanStatusEnum } from "../../graphql/enums.js";
import { DateScalar, DateTimeScalar, MoneyScalar } from "../../graphql/scalars.js";

@ObjectType("Loan")
export class Loan {
  @Field(() => ID) id: string;
  @Field(() => MoneyScalar) principal: bigint;
  @Field(() => MoneyScalar) originationFee: bigint;
  @Field(() => MoneyScalar) disbursedAmount: bigint;
  monthlyInterestBps: number;
  @Field(() => Int) tenorMonths: number;
  @Field(() => LoanStatusEnum) status: string;
  @Field(() => DateTimeScalar, { nullable: true }) disbursedAt: Date | null;
  @Field(() => Int) daysPastDue: number;
  @Field(() => DateTimeScalar) createdAt: Date;
  applicationId: string;
  customerId: string;
  partnerId: string | null;
  productId: string;
}

export const { Connection: LoanConnection } = connectionTypes("Loan", Loan);

@InputType("LoanFilter")
export class LoanFilter {
  @Field(() => [LoanStatusEnum], { nullable: true }) status?: string[] | null;
  @Field(() => ID, { nullable: true }) partnerId?: string | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => Int, { nullable: true }) minDaysPastDue?: number | null;
}

@InputType("DisburseLoanInput")
export class DisburseLoanInput {
  @Field(() => ID) loanId: string;
  @Field(() => DateTimeScalar, { nullable: true }) disbursedAt?: Date | null;
}

@InputType("FailDisbursementInput")
export class FailDisbursementInput {
  @Field(() => ID) loanId: string;
  @Field(() => String) reason: string;
}

@ObjectType("LoanStatusCount", { simpleResolvers: true })
export class LoanStatusCount {
  @Field(() => LoanStatusEnum) status: string;
  @Field(() => Int) count: number;
  @Field(() => MoneyScalar) outstandingAmount: bigint;
}

@ObjectType("DaysPastDueBucket", {
  simpleResolvers: true,
  description: "Active loans (CURRENT, LATE_*) whose daysPastDue lies in [minDays, maxDays] (maxDays null: no upper end).",
})
export class DaysPastDueBucket {
  @Field(() => String, { description: '"0", "1-4", "5-29", "30-59", "60-89" or "90+".' }) label: string;
  @Field(() => Int) minDays: number;
  @Field(() => Int, { nullable: true }) maxDays: number | null;
  @Field(() => Int) count: number;
  @Field(() => MoneyScalar) outstandingAmount: bigint;
}

@ObjectType("PortfolioDay", { simpleResolvers: true, description: "Money moved on one Asia/Jakarta calendar day." })
export class PortfolioDay {
  @Field(() => DateScalar) date: string;
  @Field(() => Int, { description: "Loans disbursed that day (as disbursedTotal counts them)." }) disbursedCount: number;
  @Field(() => MoneyScalar, { description: "Σ disbursedAmount of the loans disbursed that day." }) disbursedAmount: bigint;
  @Field(() => Int, { description: "Non-reversed PAYMENT and SETTLEMENT transactions paid that day." }) collectedCount: number;
  @Field(() => MoneyScalar, { description: "Σ amount of those transactions (as collectedTotal)." }) collectedAmount: bigint;
}

@ObjectType("PortfolioSummary", { simpleResolvers: true })
export class PortfolioSummary {
  @Field(() => Int) loanCount: number;
  @Field(() => Int) activeLoanCount: number;
  @Field(() => MoneyScalar) disbursedTotal: bigint;
  @Field(() => MoneyScalar) collectedTotal: bigint;
  @Field(() => MoneyScalar) outstandingAmount: bigint;
  @Field(() => [LoanStatusCount]) byStatus: LoanStatusCount[];
  @Field(() => [DaysPastDueBucket], { description: "The active loans by days past due: every bucket, in order, zeros included." })
  byDaysPastDue: DaysPastDueBucket[];
}

@ObjectType("DailyUpdateResult", { simpleResolvers: true })
export class DailyUpdateResult {
  @Field(() => DateScalar) asOf: string;
  @Field(() => Int) paymentsUpdated: number;
  @Field(() => Int) loansUpdated: number;
  @Field(() => Int) lateFeesApplied: number;
  @Field(() => Int) offersExpired: number;
}

@ObjectType("LoanStatusEvent")
export class LoanStatusEvent {
  @Field(() => String, { description: "Resume point: pass it as `after` to receive only later events." }) cursor: string;
  @Field(() => LoanStatusEnum, { nullable: true }) fromStatus: string | null;
  @Field(() => LoanStatusEnum) toStatus: string;
  @Field(() => String, { nullable: true }) reason: string | null;
  @Field(() => DateTimeScalar) at: Date;
  entityId: string;
}
