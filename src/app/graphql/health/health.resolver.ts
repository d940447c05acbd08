import 'reflect-metadata';
import { Ctx, Field, Float, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import type { HealthReport } from '../../../health/health.service';

@ObjectType('DatabaseHealth')
export class DatabaseHealth {
  @Field(() => Boolean) connected!: boolean;
  @Field(() => String, { nullable: true, description: '`mongodb` or `sqlite`.' }) engine!: string | null;
  @Field(() => String, { nullable: true }) version!: string | null;
  @Field(() => Float, { nullable: true, description: 'Round trip of a ping, in milliseconds.' }) latencyMs!:
    number | null;
}

@ObjectType('TelemetryHealth', { description: 'What the server does with its traces (OTEL_* variables).' })
export class TelemetryHealth {
  @Field(() => Boolean, { description: 'Whether spans are recorded and exported.' }) enabled!: boolean;
  @Field(() => String, { nullable: true, description: '`console` or `otlp`; null when tracing is off.' })
  exporterType!: string | null;
  @Field(() => String, { nullable: true, description: 'The OTLP endpoint, when one is configured.' }) endpoint!:
    string | null;
}

@ObjectType('Health')
export class Health {
  @Field(() => Boolean) healthy!: boolean;
  @Field(() => String) description!: string;
  @Field(() => String) version!: string;
  @Field(() => Float) uptimeSeconds!: number;
  @Field(() => DatabaseHealth) database!: DatabaseHealth;
  @Field(() => Int, { nullable: true, description: 'All stored events, archived included.' }) totalEvents!:
    number | null;
  @Field(() => Int, { nullable: true }) archivedEvents!: number | null;
  @Field(() => TelemetryHealth) telemetry!: TelemetryHealth;
}

@Resolver(() => Health)
export class HealthResolver {
  @Query(() => Health, { description: 'Server and database health.' })
  health(@Ctx() ctx: GraphQLContext): Promise<HealthReport> {
    return ctx.services.health.report();
  }
}
