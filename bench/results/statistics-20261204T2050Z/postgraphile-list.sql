select
__customers__."full_name" as "0",
array(select array[
__loan_applications__."id",
__loan_applications__."status",
__loan_applications__."requested_amount"::text,
__loans__."id",
__loans__."status",
__loans__."principal"::text,
array(select array[
__payments__."installment_number"::text,
to_char(__payments__."due_date", 'YYYY-MM-DD'::text),
__payments__."principal_due"::text,
__payments__."interest_due"::text,
__payments__."status"
]::text[]
from "public"."payments" as __payments__
where (__payments__."loan_id" = __loans__."id")
order by __payments__."id" asc)::text
]::text[]
from "public"."loan_applications" as __loan_applications__
left outer join "public"."loans" as __loans__
on (
/* WHERE becoming ON */ (__loans__."application_id" = __loan_applications__."id"))
where (__loan_applications__."customer_id" = __customers__."id")
order by __loan_applications__."id" asc)::text as "1"
from "public"."customers" as __customers__
order by __customers__."created_at" asc, __customers__."id" asc
limit 50;

