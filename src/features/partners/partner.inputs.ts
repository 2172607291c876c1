import { Field, InputType } from "type-graphql";

@InputType("CreatePartnerInput")
export class CreatePartnerInput {
  @Field(() => String) code: string;
  @Field(() => String) name: string;
}
