import 'reflect-metadata';
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { DateTimeISO } from '../scalars';
import type { ArchiveOutcome, PurgeOutcome } from '../../../lifecycle/archive.service';
import type { BackupInfo, BackupStatusReport, RestoreOutcome } from '../../../lifecycle/backup.service';
import {
  ArchiveEventsResult,
  Backup,
  BackupStatus,
  PurgeEventsResult,
  RestoreMode,
  RestoreResult,
} from './lifecycle.types';

/** Thin adapter from GraphQL to {@link ArchiveService} and {@link BackupService}. */
@Resolver()
export class LifecycleResolver {
  @Mutation(() => ArchiveEventsResult, {
    description:
      'Archives (soft-deletes) the events with `ids` (all of them, in batches), or else every active event with eventTimestamp < `before`. BAD_USER_INPUT when neither is given. `batchSize` null or 0: ARCHIVE_BATCH_SIZE.',
  })
  archiveEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('ids', () => [ID], { nullable: true }) ids?: string[],
    @Arg('before', () => DateTimeISO, { nullable: true }) before?: Date,
    @Arg('batchSize', () => Int, { nullable: true }) batchSize?: number,
  ): Promise<ArchiveOutcome> {
    return ctx.services.archive.archive({ ids, before, batchSize });
  }

  @Mutation(() => ArchiveEventsResult, {
    description: 'Makes archived events active again; `archivedCount` counts the events that changed.',
  })
  unarchiveEvents(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: GraphQLContext): Promise<ArchiveOutcome> {
    return ctx.services.archive.unarchive(ids);
  }

  @Mutation(() => PurgeEventsResult, {
    description:
      'Permanently deletes archived events whose archivedAt is more than `olderThanDays` days ago (0: all archived events).',
  })
  purgeArchivedEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('olderThanDays', () => Int, { nullable: true, defaultValue: 365 }) olderThanDays?: number,
  ): Promise<PurgeOutcome> {
    return ctx.services.archive.purge(olderThanDays ?? 365);
  }

  @Query(() => BackupStatus, {
    description: 'Backup settings and the backups in BACKUP_DIR, newest first, each verified against its checksums.',
  })
  backupStatus(@Ctx() ctx: GraphQLContext): Promise<BackupStatusReport> {
    return ctx.services.backups.status();
  }

  @Mutation(() => Backup, {
    description:
      'Writes a backup of every event (mongodump layout, gzip) into BACKUP_DIR, then keeps the newest BACKUP_MAX_COUNT.',
  })
  createBackup(
    @Ctx() ctx: GraphQLContext,
    @Arg('description', () => String, { nullable: true }) description?: string,
  ): Promise<BackupInfo> {
    return ctx.services.backups.create(description);
  }

  @Mutation(() => RestoreResult, {
    description:
      'Restores a backup from BACKUP_DIR (its path or name). The whole backup is verified before anything changes; a corrupt backup or a path outside BACKUP_DIR is BAD_USER_INPUT.',
  })
  restoreBackup(
    @Arg('path', () => String) path: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('mode', () => RestoreMode, { nullable: true, defaultValue: RestoreMode.MERGE }) mode?: RestoreMode,
  ): Promise<RestoreOutcome> {
    return ctx.services.backups.restore(path, mode ?? RestoreMode.MERGE);
  }
}
