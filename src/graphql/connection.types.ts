import { Field, Int, ObjectType, type ClassType } from "type-graphql";

@ObjectType("PageInfo", { simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean) hasNextPage: boolean;
  @Field(() => Boolean) hasPreviousPage: boolean;
  @Field(() => String, { nullable: true }) startCursor: string | null;
  @Field(() => String, { nullable: true }) endCursor: string | null;
}

/** `<Name>Edge` and `<Name>Connection` types for a node type (Relay). */
export function connectionTypes<T extends ClassType>(name: string, Node: T) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field(() => String) cursor: string;
    @Field(() => Node) node: InstanceType<T>;
  }
  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class Connection {
    @Field(() => [Edge]) edges: Edge[];
    @Field(() => [Node]) nodes: InstanceType<T>[];
    @Field(() => PageInfo) pageInfo: PageInfo;
    @Field(() => Int) totalCount: number;
  }
  return { Edge, Connection };
}
