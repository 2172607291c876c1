-- bench/payments-limit.sql — the limit of a payment posting on this machine: recordPayment's
-- transaction (src/features/payments/payment.commands.ts, RULES §8) written as ONE PL/pgSQL
-- function, so pgbench can run it with no network hop, no driver, no GraphQL, no JS. Applied by
-- bench/payments-limit.sh to the BENCH database only (never a migration). Same rows as the API:
--   1. lock the loan `for update`; 2. idempotency: a known key replays (same loan and amount) or
--   is a conflict; 3. loan must be CURRENT/LATE_*, paidAt not before disbursement; lock the
--   installments `for update` in installment order; allocate oldest installment first, inside
--   one principal → interest → late fee, the rest to the wallet; 4. insert the transaction,
--   the wallet credit (customer row locked), the allocations; re-evaluate the installments as of
--   paidAt's Jakarta date (touched ones get the money, paid ones the paid status of that date
--   and dpd 0, unpaid ones status and dpd by dpd; a paid one not touched stays) and write the
--   changed ones in one statement; 5. the loan's status and dpd (worst unpaid), written when
--   changed; a status change writes the history row, takes the event-order advisory lock,
--   writes the status_events outbox row and pg_notify, as src/events/outbox.ts does.
-- Settlement (§12.2) is not here: the bench posts payments only.
set client_min_messages = warning;

create or replace function bench_pay_limit(
  p_loan uuid, p_amount bigint, p_key text, p_channel text, p_paid_at timestamptz, p_actor text
) returns uuid
language plpgsql as $$
declare
  l loans%rowtype;
  existing payment_transactions%rowtype;
  i record;
  as_of date := (p_paid_at at time zone 'Asia/Jakarta')::date;
  now_ts timestamptz := clock_timestamp();
  left_ bigint := p_amount;
  ap bigint; ai bigint; af bigint;
  ids uuid[] := '{}'; a_p bigint[] := '{}'; a_i bigint[] := '{}'; a_f bigint[] := '{}';
  w_id uuid[] := '{}'; w_pp bigint[] := '{}'; w_pi bigint[] := '{}'; w_pf bigint[] := '{}';
  w_st text[] := '{}'; w_dpd int[] := '{}'; w_paid timestamptz[] := '{}';
  pp bigint; pi bigint; pf bigint; outstanding bigint; dpd int; st text; touched boolean;
  worst int := null;
  tx_id uuid;
  new_status text; new_dpd int;
  bal bigint;
begin
  -- 1. the loan, locked
  select * into l from loans where id = p_loan for update;
  if not found then raise exception 'NOT_FOUND: loan %', p_loan; end if;
  -- 2. idempotency, before any state check
  select * into existing from payment_transactions where idempotency_key = p_key;
  if found then
    if existing.loan_id <> p_loan or existing.amount <> p_amount or existing.kind <> 'PAYMENT' then
      raise exception 'IDEMPOTENCY_CONFLICT: %', p_key;
    end if;
    return existing.id;
  end if;
  if l.status not in ('CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD') then
    raise exception 'INVALID_STATE: loan is %', l.status;
  end if;
  if l.disbursed_at is not null and p_paid_at < l.disbursed_at then
    raise exception 'BAD_USER_INPUT: paidAt before disbursement';
  end if;

  -- 3. allocate over the locked installments and evaluate them as of paidAt's date
  for i in select * from payments where loan_id = p_loan order by installment_number for update loop
    ap := least(left_, i.principal_due - i.paid_principal); left_ := left_ - ap;
    ai := least(left_, i.interest_due - i.paid_interest);   left_ := left_ - ai;
    af := least(left_, i.late_fee_due - i.paid_late_fee);   left_ := left_ - af;
    touched := ap + ai + af > 0;
    if touched then
      ids := ids || i.id; a_p := a_p || ap; a_i := a_i || ai; a_f := a_f || af;
    end if;
    pp := i.paid_principal + ap; pi := i.paid_interest + ai; pf := i.paid_late_fee + af;
    outstanding := i.principal_due + i.interest_due + i.late_fee_due - (pp + pi + pf);
    dpd := as_of - i.due_date;
    if outstanding > 0 then
      if worst is null or dpd > worst then worst := dpd; end if;
      st := case when dpd < -3 then 'NOT_DUE' when dpd < 0 then 'DUE_IN_3_DAYS' when dpd = 0 then 'DUE_TODAY'
                 when dpd >= 180 then 'OVERDUE_180DPD' when dpd >= 150 then 'OVERDUE_150DPD' when dpd >= 120 then 'OVERDUE_120DPD'
                 when dpd >= 90 then 'OVERDUE_90DPD' when dpd >= 60 then 'OVERDUE_60DPD' when dpd >= 30 then 'OVERDUE_30DPD'
                 when dpd >= 5 then 'OVERDUE_5DPD' else 'OVERDUE_1DPD' end;
      dpd := greatest(dpd, 0);
    elsif touched then
      st := case when dpd <= 0 then 'PAID_ON_TIME' when dpd <= 4 then 'PAID_WITHIN_GRACE' else 'PAID_LATE' end;
      dpd := 0;
    else
      st := i.status; dpd := i.days_past_due;   -- paid before: stays exactly as it is
    end if;
    if touched or st <> i.status or dpd <> i.days_past_due then
      w_id := w_id || i.id; w_pp := w_pp || pp; w_pi := w_pi || pi; w_pf := w_pf || pf;
      w_st := w_st || st; w_dpd := w_dpd || dpd;
      w_paid := w_paid || (case when outstanding > 0 then null when touched then p_paid_at else i.paid_at end);
    end if;
  end loop;

  -- 4. the transaction, the wallet, the allocations, the installments
  insert into payment_transactions (loan_id, customer_id, amount, idempotency_key, channel, paid_at, wallet_credit, kind)
  values (p_loan, l.customer_id, p_amount, p_key, p_channel, p_paid_at, left_, 'PAYMENT')
  returning id into tx_id;
  if left_ > 0 then
    select wallet_balance into bal from customers where id = l.customer_id for update;
    update customers set wallet_balance = wallet_balance + left_, updated_at = now_ts where id = l.customer_id;
  end if;
  insert into payment_allocations (transaction_id, payment_id, principal, interest, late_fee)
  select tx_id, v.id, v.p, v.i, v.f from unnest(ids, a_p, a_i, a_f) as v(id, p, i, f);
  update payments as p
     set paid_principal = v.pp, paid_interest = v.pi, paid_late_fee = v.pf,
         paid_amount = v.pp + v.pi + v.pf, status = v.st, days_past_due = v.dpd, paid_at = v.paid_at,
         updated_at = now_ts
    from unnest(w_id, w_pp, w_pi, w_pf, w_st, w_dpd, w_paid) as v(id, pp, pi, pf, st, dpd, paid_at)
   where p.id = v.id;

  -- 5. the loan as of paidAt; a status change: history + event-order lock + outbox + notify
  new_dpd := greatest(coalesce(worst, 0), 0);
  new_status := case when worst is null then 'PAID_OFF' when worst <= 0 then 'CURRENT'
                     when worst >= 180 then 'LATE_180DPD' when worst >= 150 then 'LATE_150DPD' when worst >= 120 then 'LATE_120DPD'
                     when worst >= 90 then 'LATE_90DPD' when worst >= 60 then 'LATE_60DPD' when worst >= 30 then 'LATE_30DPD'
                     when worst >= 5 then 'LATE_5DPD' else 'LATE_1DPD' end;
  if new_status <> l.status or new_dpd <> l.days_past_due then
    update loans set status = new_status, days_past_due = new_dpd, updated_at = now_ts where id = p_loan;
  end if;
  if new_status <> l.status then
    insert into status_changes (entity_type, entity_id, from_code, to_code, reason, actor, at)
    values ('LOAN', p_loan, bench_loan_status_code(l.status), bench_loan_status_code(new_status), 'payment ' || tx_id, p_actor, now_ts);
    perform pg_advisory_xact_lock(727002);
    insert into status_events (entity_type, entity_id, customer_id, partner_id, from_status, to_status, reason, actor, at)
    values ('LOAN', p_loan, l.customer_id, l.partner_id, l.status, new_status, 'payment ' || tx_id, p_actor, now_ts);
    perform pg_notify('status_events', '');
  end if;
  return tx_id;
end $$;

create or replace function bench_loan_status_code(s text) returns int language sql immutable as $$
  select case s when 'INACTIVE' then 210 when 'CANCELLED' then 216 when 'DISBURSAL_FAILED' then 218 when 'CURRENT' then 220
    when 'LATE_1DPD' then 230 when 'LATE_5DPD' then 231 when 'LATE_30DPD' then 232 when 'LATE_60DPD' then 233
    when 'LATE_90DPD' then 234 when 'LATE_120DPD' then 235 when 'LATE_150DPD' then 236 when 'LATE_180DPD' then 237
    when 'PAID_OFF' then 250 when 'WRITTEN_OFF' then 260 end $$;

-- The loans pgbench pays, numbered 1..n (the same list the API load uses, written by the runner).
create table if not exists bench_pay_limit_loans (n int primary key, loan_id uuid not null);
