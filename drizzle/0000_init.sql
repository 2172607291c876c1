CREATE TABLE "customers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"partner_id" uuid,
	"full_name" text NOT NULL,
	"nik" text NOT NULL,
	"phone" text NOT NULL,
	"email" text NOT NULL,
	"date_of_birth" date NOT NULL,
	"monthly_income" bigint NOT NULL,
	"pin_hash" text NOT NULL,
	"wallet_balance" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_nik_unique" UNIQUE("nik"),
	CONSTRAINT "customers_phone_unique" UNIQUE("phone"),
	CONSTRAINT "customers_email_unique" UNIQUE("email"),
	CONSTRAINT "customers_nik_format" CHECK ("customers"."nik" ~ '^[0-9]{16}$'),
	CONSTRAINT "customers_monthly_income_nonneg" CHECK ("customers"."monthly_income" >= 0),
	CONSTRAINT "customers_wallet_balance_nonneg" CHECK ("customers"."wallet_balance" >= 0)
);
--> statement-breakpoint
CREATE TABLE "daily_update_runs" (
	"as_of" date PRIMARY KEY NOT NULL,
	"payments_updated" integer NOT NULL,
	"loans_updated" integer NOT NULL,
	"late_fees_applied" integer NOT NULL,
	"offers_expired" integer NOT NULL,
	"ran_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "loan_applications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"partner_id" uuid,
	"requested_amount" bigint NOT NULL,
	"tenor_months" integer NOT NULL,
	"purpose" text NOT NULL,
	"status" text NOT NULL,
	"credit_grade" text,
	"credit_max_amount" bigint,
	"credit_max_tenor_months" integer,
	"credit_interest_bps" integer,
	"credit_reasons" jsonb,
	"offer_amount" bigint,
	"offer_tenor_months" integer,
	"offer_interest_bps" integer,
	"offer_origination_fee" bigint,
	"offer_disbursed_amount" bigint,
	"offer_installment_amount" bigint,
	"offer_first_due_date" date,
	"offer_expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loan_applications_requested_amount_pos" CHECK ("loan_applications"."requested_amount" > 0),
	CONSTRAINT "loan_applications_tenor_pos" CHECK ("loan_applications"."tenor_months" >= 1),
	CONSTRAINT "loan_applications_status" CHECK ("loan_applications"."status" in ('SUBMITTED','DENIED','CANCELLED','OFFER_MADE','OFFER_ACCEPTED','OFFER_DECLINED','OFFER_EXPIRED','FUND_DISBURSAL_SUCCESSFUL','FUND_DISBURSAL_FAILED')),
	CONSTRAINT "loan_applications_offer_nonneg" CHECK (coalesce("loan_applications"."offer_amount", 0) >= 0 and coalesce("loan_applications"."offer_origination_fee", 0) >= 0 and coalesce("loan_applications"."offer_disbursed_amount", 0) >= 0 and coalesce("loan_applications"."offer_installment_amount", 0) >= 0 and coalesce("loan_applications"."credit_max_amount", 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "loan_products" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"min_amount" bigint NOT NULL,
	"max_amount" bigint NOT NULL,
	"min_tenor_months" integer NOT NULL,
	"max_tenor_months" integer NOT NULL,
	"monthly_interest_bps" integer NOT NULL,
	"origination_fee_bps" integer NOT NULL,
	"late_fee_bps" integer NOT NULL,
	"min_late_fee" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loan_products_code_unique" UNIQUE("code"),
	CONSTRAINT "loan_products_amounts" CHECK ("loan_products"."min_amount" > 0 and "loan_products"."min_amount" <= "loan_products"."max_amount"),
	CONSTRAINT "loan_products_tenors" CHECK ("loan_products"."min_tenor_months" >= 1 and "loan_products"."min_tenor_months" <= "loan_products"."max_tenor_months"),
	CONSTRAINT "loan_products_rates_nonneg" CHECK ("loan_products"."monthly_interest_bps" >= 0 and "loan_products"."origination_fee_bps" >= 0 and "loan_products"."late_fee_bps" >= 0 and "loan_products"."min_late_fee" >= 0)
);
--> statement-breakpoint
CREATE TABLE "loans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"application_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"partner_id" uuid,
	"product_id" uuid NOT NULL,
	"principal" bigint NOT NULL,
	"origination_fee" bigint NOT NULL,
	"disbursed_amount" bigint NOT NULL,
	"monthly_interest_bps" integer NOT NULL,
	"tenor_months" integer NOT NULL,
	"status" text NOT NULL,
	"disbursed_at" timestamp (3) with time zone,
	"days_past_due" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loans_application_id_unique" UNIQUE("application_id"),
	CONSTRAINT "loans_principal_pos" CHECK ("loans"."principal" > 0),
	CONSTRAINT "loans_fee_nonneg" CHECK ("loans"."origination_fee" >= 0 and "loans"."origination_fee" <= "loans"."principal"),
	CONSTRAINT "loans_disbursed_amount" CHECK ("loans"."disbursed_amount" = "loans"."principal" - "loans"."origination_fee"),
	CONSTRAINT "loans_tenor" CHECK ("loans"."tenor_months" between 1 and 60),
	CONSTRAINT "loans_dpd_nonneg" CHECK ("loans"."days_past_due" >= 0),
	CONSTRAINT "loans_status" CHECK ("loans"."status" in ('INACTIVE','CANCELLED','DISBURSAL_FAILED','CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD','PAID_OFF','WRITTEN_OFF'))
);
--> statement-breakpoint
CREATE TABLE "login_attempts" (
	"phone" text PRIMARY KEY NOT NULL,
	"failed_count" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partners" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "partners_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "payment_allocations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"transaction_id" uuid NOT NULL,
	"payment_id" uuid NOT NULL,
	"principal" bigint DEFAULT 0 NOT NULL,
	"interest" bigint DEFAULT 0 NOT NULL,
	"late_fee" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_allocations_nonneg" CHECK ("payment_allocations"."principal" >= 0 and "payment_allocations"."interest" >= 0 and "payment_allocations"."late_fee" >= 0 and "payment_allocations"."principal" + "payment_allocations"."interest" + "payment_allocations"."late_fee" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"loan_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"idempotency_key" text NOT NULL,
	"channel" text,
	"paid_at" timestamp (3) with time zone NOT NULL,
	"wallet_credit" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_transactions_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "payment_transactions_amount_pos" CHECK ("payment_transactions"."amount" > 0),
	CONSTRAINT "payment_transactions_wallet_credit" CHECK ("payment_transactions"."wallet_credit" >= 0 and "payment_transactions"."wallet_credit" <= "payment_transactions"."amount")
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"loan_id" uuid NOT NULL,
	"installment_number" integer NOT NULL,
	"due_date" date NOT NULL,
	"principal_due" bigint NOT NULL,
	"interest_due" bigint NOT NULL,
	"late_fee_due" bigint DEFAULT 0 NOT NULL,
	"paid_principal" bigint DEFAULT 0 NOT NULL,
	"paid_interest" bigint DEFAULT 0 NOT NULL,
	"paid_late_fee" bigint DEFAULT 0 NOT NULL,
	"paid_amount" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"days_past_due" integer DEFAULT 0 NOT NULL,
	"late_fee_thresholds_applied" integer DEFAULT 0 NOT NULL,
	"paid_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_amounts_nonneg" CHECK ("payments"."principal_due" >= 0 and "payments"."interest_due" >= 0 and "payments"."late_fee_due" >= 0 and "payments"."paid_principal" >= 0 and "payments"."paid_interest" >= 0 and "payments"."paid_late_fee" >= 0),
	CONSTRAINT "payments_paid_within_due" CHECK ("payments"."paid_principal" <= "payments"."principal_due" and "payments"."paid_interest" <= "payments"."interest_due" and "payments"."paid_late_fee" <= "payments"."late_fee_due"),
	CONSTRAINT "payments_paid_amount_sum" CHECK ("payments"."paid_amount" = "payments"."paid_principal" + "payments"."paid_interest" + "payments"."paid_late_fee"),
	CONSTRAINT "payments_thresholds" CHECK ("payments"."late_fee_thresholds_applied" between 0 and 7),
	CONSTRAINT "payments_dpd_nonneg" CHECK ("payments"."days_past_due" >= 0)
);
--> statement-breakpoint
CREATE TABLE "status_changes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "status_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"entity_type" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"from_code" integer,
	"to_code" integer NOT NULL,
	"reason" text,
	"actor" text NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "status_changes_entity_type" CHECK ("status_changes"."entity_type" in ('APPLICATION','LOAN'))
);
--> statement-breakpoint
CREATE TABLE "status_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "status_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"entity_type" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"partner_id" uuid,
	"from_status" text,
	"to_status" text NOT NULL,
	"reason" text,
	"actor" text NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "status_events_entity_type" CHECK ("status_events"."entity_type" in ('APPLICATION','LOAN'))
);
--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loan_applications" ADD CONSTRAINT "loan_applications_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loan_applications" ADD CONSTRAINT "loan_applications_product_id_loan_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."loan_products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loan_applications" ADD CONSTRAINT "loan_applications_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_application_id_loan_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."loan_applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_product_id_loan_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."loan_products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_allocations" ADD CONSTRAINT "payment_allocations_transaction_id_payment_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."payment_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_allocations" ADD CONSTRAINT "payment_allocations_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_transactions" ADD CONSTRAINT "payment_transactions_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_transactions" ADD CONSTRAINT "payment_transactions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_events" ADD CONSTRAINT "status_events_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_events" ADD CONSTRAINT "status_events_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customers_partner_id_idx" ON "customers" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "customers_created_at_idx" ON "customers" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "loan_applications_customer_id_idx" ON "loan_applications" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "loan_applications_product_id_idx" ON "loan_applications" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "loan_applications_partner_id_idx" ON "loan_applications" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "loan_applications_created_at_idx" ON "loan_applications" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "loan_applications_offer_expiry_idx" ON "loan_applications" USING btree ("offer_expires_at") WHERE "loan_applications"."status" = 'OFFER_MADE';--> statement-breakpoint
CREATE INDEX "loans_customer_id_idx" ON "loans" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "loans_partner_id_idx" ON "loans" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "loans_product_id_idx" ON "loans" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "loans_created_at_idx" ON "loans" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "loans_status_idx" ON "loans" USING btree ("status");--> statement-breakpoint
CREATE INDEX "payment_allocations_transaction_id_idx" ON "payment_allocations" USING btree ("transaction_id");--> statement-breakpoint
CREATE INDEX "payment_allocations_payment_id_idx" ON "payment_allocations" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "payment_transactions_loan_id_idx" ON "payment_transactions" USING btree ("loan_id");--> statement-breakpoint
CREATE INDEX "payment_transactions_customer_id_idx" ON "payment_transactions" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "payments_loan_id_idx" ON "payments" USING btree ("loan_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_loan_installment_uq" ON "payments" USING btree ("loan_id","installment_number");--> statement-breakpoint
CREATE INDEX "status_changes_entity_idx" ON "status_changes" USING btree ("entity_id","id");--> statement-breakpoint
CREATE INDEX "status_events_entity_idx" ON "status_events" USING btree ("entity_id");--> statement-breakpoint
CREATE INDEX "status_events_customer_id_idx" ON "status_events" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "status_events_partner_id_idx" ON "status_events" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "status_events_at_idx" ON "status_events" USING btree ("at");