import { ArgsType, Field, Int } from "type-graphql";
import { ApplicationStatusEnum, LoanStatusEnum } from "./enums.js";

@ArgsType()
export class PageArgsInput {
  @Field(() => Int, { nullable: true, defaultValue: 20 }) first?: number;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ArgsType()
export class ApplicationPageArgs extends PageArgsInput {
  @Field(() => [ApplicationStatusEnum], { nullable: true }) status?: string[] | null;
}

@ArgsType()
export class LoanPageArgs extends PageArgsInput {
  @Field(() => [LoanStatusEnum], { nullable: true }) status?: string[] | null;
}
