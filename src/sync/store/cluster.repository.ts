import { ILike, In } from 'typeorm';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import type { Page } from '@/admin/page.dto';
import { ClusterEntity } from '../entities';

/** The columns of a new `cluster` row (id and times come from the database). */
export type NewCluster = Pick<
  ClusterEntity,
  'name' | 'kind' | 'addresses' | 'namespace' | 'username' | 'credentials' | 'description' | 'layout' | 'prefix'
>;

/** `cluster`: the registries tasks read and write. Constraint errors reach the caller as the driver raises them. */
export class ClusterRepository {
  private readonly repo: Repository<ClusterEntity>;

  constructor(db: DataSource) {
    this.repo = db.getRepository(ClusterEntity);
  }

  /** Runs `work` in one transaction; `insert`, `update`, `delete` and `findByName` take its manager. */
  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }

  async insert(cluster: NewCluster, tx?: EntityManager): Promise<ClusterEntity> {
    const repo = tx ? tx.getRepository(ClusterEntity) : this.repo;
    return repo.save(repo.create(cluster));
  }

  /** Writes back a cluster read with `findOne` and changed. */
  async update(cluster: ClusterEntity, tx?: EntityManager): Promise<ClusterEntity> {
    return (tx ? tx.getRepository(ClusterEntity) : this.repo).save(cluster);
  }

  /** The cluster of this name, regardless of case (names are unique so), inside `tx` when given. */
  async findByName(name: string, tx?: EntityManager): Promise<ClusterEntity | null> {
    const repo = tx ? tx.getRepository(ClusterEntity) : this.repo;
    return repo.createQueryBuilder('c').where('lower(c.name) = lower(:name)', { name }).getOne();
  }

  /** Every cluster, by name (an export, a lookup by a derived id). */
  async all(): Promise<ClusterEntity[]> {
    return this.repo.find({ order: { name: 'ASC' } });
  }

  /** Clusters by name, a page at a time; `name` matches any part of it, regardless of case. */
  async page(name: string | undefined, page: number, pageSize: number): Promise<Page<ClusterEntity>> {
    const [items, total] = await this.repo.findAndCount({
      where: name ? { name: ILike(`%${escapeLike(name)}%`) } : {},
      order: { name: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items, total, page, pageSize };
  }

  async findOne(id: string): Promise<ClusterEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** The clusters of the given ids that exist, inside `tx` when given. */
  async findByIds(ids: string[], tx?: EntityManager): Promise<ClusterEntity[]> {
    return tx ? tx.findBy(ClusterEntity, { id: In(ids) }) : this.repo.findBy({ id: In(ids) });
  }

  async delete(id: string, tx?: EntityManager): Promise<void> {
    await (tx ? tx.getRepository(ClusterEntity) : this.repo).delete({ id });
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
