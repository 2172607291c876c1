import { Field, ID, ObjectType } from "type-graphql";

@ObjectType("Partner", { simpleResolvers: true })
export class Partner {
  @Field(() => ID) id: string;
  @Field(() => String) code: string;
  @Field(() => String) name: string;
}
