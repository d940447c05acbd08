import 'reflect-metadata';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeISO } from '../scalars';
import { RestoreMode } from '../../../lifecycle/backup.service';

registerEnumType(RestoreMode, {
  name: 'RestoreMode',
  description: 'How a restore treats stored events.',
  valuesConfig: {
    MERGE: { description: "Keep stored events; insert the backup's events whose ids are not stored." },
    REPLACE: {
      description:
        "Make the stored events the backup's in one atomic swap, after the whole backup was verified and loaded aside: a restore that fails changes nothing; events logged while it runs are kept (an id in both keeps the logged event).",
    },
  },
});

export { RestoreMode };

@ObjectType('ArchiveEventsResult')
export class ArchiveEventsResult {
  @Field(() => Int, { description: 'Events whose archive state changed.' }) archivedCount!: number;
  @Field(() => String, { description: 'MADSci\'s message, e.g. "Successfully archived 3 events".' }) message!: string;
}

@ObjectType('PurgeEventsResult')
export class PurgeEventsResult {
  @Field(() => Int) deletedCount!: number;
  @Field(() => String, {
    description: 'MADSci\'s message, e.g. "Permanently deleted 3 archived events older than 365 days".',
  })
  message!: string;
}

@ObjectType('Backup', { description: 'A backup directory (mongodump layout, gzip) inside BACKUP_DIR.' })
export class Backup {
  @Field(() => String, {
    description: 'Absolute path of the backup directory; `restoreBackup` takes it (or its last segment).',
  })
  path!: string;
  @Field(() => DateTimeISO) createdAt!: Date;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => Int) eventCount!: number;
  @Field(() => Float, { description: 'Bytes of all files of the backup.' }) sizeBytes!: number;
  @Field(() => Boolean, { description: 'The manifest is readable and every file matches its SHA-256.' })
  valid!: boolean;
  @Field(() => String, { description: '`completed`, or `invalid: <reason>`.' }) status!: string;
}

@ObjectType('BackupStatus')
export class BackupStatus {
  @Field(() => Boolean, { description: 'Scheduled backups are running (BACKUP_ENABLED and a BACKUP_SCHEDULE).' })
  enabled!: boolean;
  @Field(() => String, { description: 'BACKUP_DIR, absolute.' }) directory!: string;
  @Field(() => Int, { description: 'BACKUP_MAX_COUNT: rotation keeps this many newest backups.' }) maxBackups!: number;
  @Field(() => String, { nullable: true, description: 'BACKUP_SCHEDULE (cron).' }) schedule!: string | null;
  @Field(() => DateTimeISO, { nullable: true, description: 'When the next scheduled backup starts.' })
  nextScheduledAt!: Date | null;
  @Field(() => [Backup], { description: 'Newest first.' }) backups!: Backup[];
}

@ObjectType('RestoreResult')
export class RestoreResult {
  @Field(() => Int) restoredCount!: number;
  @Field(() => Int, { description: 'Events of the backup not inserted because their id was stored already (MERGE).' })
  skippedCount!: number;
}
