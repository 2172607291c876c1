CREATE TABLE "payment_reversals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"transaction_id" uuid NOT NULL,
	"loan_id" uuid NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"reason" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp (3) with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp (3) with time zone,
	"decision_note" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_reversals_status" CHECK ("payment_reversals"."status" in ('PENDING', 'APPROVED', 'REJECTED')),
	CONSTRAINT "payment_reversals_four_eyes" CHECK ("payment_reversals"."status" = 'PENDING' or ("payment_reversals"."decided_by" is not null and "payment_reversals"."decided_at" is not null and ("payment_reversals"."status" = 'REJECTED' or "payment_reversals"."decided_by" <> "payment_reversals"."requested_by")))
);
--> statement-breakpoint
ALTER TABLE "payment_transactions" ADD COLUMN "kind" text DEFAULT 'PAYMENT' NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_transactions" ADD COLUMN "reversed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "interest_waived" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_reversals" ADD CONSTRAINT "payment_reversals_transaction_id_payment_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."payment_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_reversals" ADD CONSTRAINT "payment_reversals_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_reversals_transaction_id_idx" ON "payment_reversals" USING btree ("transaction_id");--> statement-breakpoint
CREATE INDEX "payment_reversals_loan_id_idx" ON "payment_reversals" USING btree ("loan_id");--> statement-breakpoint
CREATE INDEX "payment_reversals_status_created_idx" ON "payment_reversals" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "payment_reversals_created_idx" ON "payment_reversals" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_reversals_one_pending_uq" ON "payment_reversals" USING btree ("transaction_id") WHERE "payment_reversals"."status" = 'PENDING';--> statement-breakpoint
CREATE UNIQUE INDEX "payment_reversals_one_approved_uq" ON "payment_reversals" USING btree ("transaction_id") WHERE "payment_reversals"."status" = 'APPROVED';--> statement-breakpoint
ALTER TABLE "payment_transactions" ADD CONSTRAINT "payment_transactions_kind" CHECK ("payment_transactions"."kind" in ('PAYMENT', 'SETTLEMENT'));--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_interest_waived_nonneg" CHECK ("payments"."interest_waived" >= 0);